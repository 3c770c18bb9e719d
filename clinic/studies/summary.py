"""Per-study counts for the home page: of every site, or of one (a nurse's)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from clinic import catalog
from clinic.models import AllocationSlot, Study, StudyArm
from clinic.scheduling.tally import enrolled_by_arm, status_counts

WAITING = "Waiting for its allocation sequence"


@dataclass(frozen=True)
class StudySummary:
    study: Study
    enrolled_by_arm: dict[str, int]
    completed: int
    due: int
    overdue: int
    missed: int
    not_done: int
    upcoming: int
    needs_sequence: bool = False  # randomized, recruiting, and no allocation list yet

    @property
    def enrolled(self) -> int:
        return sum(self.enrolled_by_arm.values())


def study_summaries(session: Session, today: date, site_id: int | None = None,
                    drafts: bool = True) -> list[StudySummary]:
    """Every study with its counts; with ``site_id``, the patients of that site only;
    without ``drafts``, the studies started (a draft is the builders' business)."""
    query = select(Study).order_by(Study.code)
    if not drafts:
        query = query.where(Study.status != "planning")
    studies = session.exec(query).all()
    return [_summary(session, study, today, site_id) for study in studies]


def _summary(session: Session, study: Study, today: date, site_id: int | None) -> StudySummary:
    arms = session.exec(select(StudyArm.id, StudyArm.label).where(StudyArm.study_id == study.id)
                        .order_by(StudyArm.position)).all()
    enrolled = enrolled_by_arm(session, study.id, site_id=site_id)  # type: ignore[arg-type]
    counts = assessment_status_counts(session, study.id, today,  # type: ignore[arg-type]
                                      site_id=site_id)
    by_arm = {label: enrolled.get(arm_id, 0) for arm_id, label in arms}
    if enrolled.get(None):
        by_arm["no group yet"] = enrolled[None]
    return StudySummary(study=study, enrolled_by_arm=by_arm,
                        needs_sequence=needs_sequence(session, study),
                        **counts)


def needs_sequence(session: Session, study: Study) -> bool:
    """Randomized, recruiting, and no allocation list yet: nobody can be enrolled."""
    return study.design_type != "registry" and study.status == "recruiting" and \
        session.exec(select(AllocationSlot.id).where(
            AllocationSlot.study_id == study.id)).first() is None


def status_words(session: Session, study: Study) -> str:
    """The study's status as every page names it: not "Recruiting" while nobody can be
    enrolled (the home page and the builder said two things)."""
    return WAITING if needs_sequence(session, study) else catalog.STUDY_STATUSES[study.status]


def assessment_status_counts(session: Session, study_id: int, today: date,
                             site_id: int | None = None) -> dict[str, int]:
    """Counts per derived status, by the same rule as clinic.scheduling.status, from the
    visit tallies (clinic.models.tally)."""
    counts = dict.fromkeys(("completed", "due", "overdue", "missed", "not_done", "upcoming"), 0)
    counts.update(status_counts(session, today, study_id=study_id, site_id=site_id))
    return counts


