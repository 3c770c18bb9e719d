"""The concealed allocation sequence: generated from a recorded seed, used slot by slot.

Concealment: slots live in ``allocation_slot``, shown only on admin pages. An
allocation becomes known to anyone else only through the enrollment that takes the
next unused slot of its stratum. Each slot can be taken once (unique
``enrollment.allocation_slot_id``); on PostgreSQL concurrent enrollments lock
different slots (SKIP LOCKED), and on either engine a lost race is retried.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from clinic.enrollment.exceptions import SequenceError, SequenceExhausted
from clinic.models import AllocationSlot, Enrollment, Study, StudyArm
from clinic.models.base import utcnow
from clinic.protocol.allocation import generate_sequence
from clinic.protocol.definition import all_strata, strata_from_json

DEFAULT_SLOTS_PER_STRATUM = 300


def generate_allocation_sequence(session: Session, study: Study, *, seed: int,
                                 slots_per_stratum: int = DEFAULT_SLOTS_PER_STRATUM) -> int:
    """Write the sequence for every stratum; refused once any slot has been used."""
    if _used_slots(session, study.id) > 0:  # type: ignore[arg-type]
        raise SequenceError("The sequence is in use; it can no longer be regenerated.")
    for slot in session.exec(select(AllocationSlot).where(AllocationSlot.study_id == study.id)):
        session.delete(slot)
    arms = session.exec(select(StudyArm).where(StudyArm.study_id == study.id)).all()
    arm_ids = {arm.code: arm.id for arm in arms}
    ratios = {arm.code: arm.allocation_ratio for arm in arms}
    count = 0
    for stratum in all_strata(strata_from_json(study.strata_rules or [])):
        for s in generate_sequence(ratios, stratum, seed, slots_per_stratum,
                                   tuple(study.block_multipliers or (1, 2, 3))):
            session.add(AllocationSlot(study_id=study.id, stratum=stratum, position=s.position,
                                       block_index=s.block_index, block_size=s.block_size,
                                       arm_id=arm_ids[s.arm]))  # type: ignore[arg-type]
            count += 1
    study.randomization_seed = seed
    study.sequence_generated_at = utcnow()
    session.add(study)
    session.flush()
    return count


def _used_slots(session: Session, study_id: int) -> int:
    return session.exec(select(func.count(Enrollment.id)).where(
        Enrollment.study_id == study_id, Enrollment.allocation_slot_id.is_not(None))).one()


def has_sequence(session: Session, study_id: int) -> bool:
    """Whether the study's concealed allocation sequence has been generated."""
    return session.exec(select(AllocationSlot.id).where(
        AllocationSlot.study_id == study_id).limit(1)).first() is not None


def next_free_slot(session: Session, study_id: int, stratum: str) -> AllocationSlot:
    """The first unused slot of the stratum, locked for this transaction.

    PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so concurrent enrollments each take a
    different slot instead of colliding on the same one. SQLite has one writer at a
    time; a collision there surfaces as a retryable error (see clinic.db.retry_on_race).
    """
    used = select(Enrollment.allocation_slot_id).where(Enrollment.allocation_slot_id.is_not(None))
    query = (select(AllocationSlot)
             .where(AllocationSlot.study_id == study_id, AllocationSlot.stratum == stratum,
                    AllocationSlot.id.not_in(used))
             .order_by(AllocationSlot.position).limit(1)
             .with_for_update(skip_locked=True))
    slot = session.exec(query).first()
    if slot is None:
        generated = has_sequence(session, study_id)
        raise SequenceExhausted(
            f"No allocation left in stratum {stratum!r}: an administrator must extend the "
            "sequence (study set-up)." if generated else
            "This study has no allocation sequence yet: an administrator must generate it "
            "(study set-up) before the first enrollment.")
    return slot


@dataclass(frozen=True)
class BalanceRow:
    stratum: str
    counts: dict[str, int]  # arm code -> allocations

    @property
    def imbalance(self) -> int:
        return max(self.counts.values()) - min(self.counts.values()) if self.counts else 0


def allocation_balance(session: Session, study: Study) -> list[BalanceRow]:
    """Allocations per stratum and arm (the balance view)."""
    arms = session.exec(select(StudyArm).where(StudyArm.study_id == study.id)
                        .order_by(StudyArm.position)).all()
    rows = session.exec(select(Enrollment.stratum, Enrollment.arm_id)
                        .where(Enrollment.study_id == study.id)).all()
    by_stratum: dict[str, Counter[int]] = {}
    for stratum, arm_id in rows:
        by_stratum.setdefault(stratum, Counter())[arm_id] += 1
    strata = all_strata(strata_from_json(study.strata_rules or []))
    return [BalanceRow(s, {a.code: by_stratum.get(s, Counter())[a.id] for a in arms})  # type: ignore[index]
            for s in strata]
