"""Seed the SYNTHETIC demo study as a clinic would have made it.

Every candidate is screened against the checklist; eligible ones are enrolled with
the next slot of the concealed sequence; procedures create the follow-up schedule;
follow-ups in the past are completed, missed or not done at calibrated rates. The
generator decides and draws; a writer (clinic.demo.writers) stores: by default the
batch writer (clinic.demo.batch), which stores what the services would, table by
table (tested against them, tests/demo/test_batch.py).

Recruitment planning: to end with exactly the requested number of patients and
balanced arms, the generator (not any user) looks at the size of the next block in
a candidate's stratum and stops opening new blocks that would overshoot the target.
When no stratum's next block fits what is left (2 patients to go, next blocks of 4
and 6), the last block stays incomplete and the arms may differ by up to half a block.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice, takewhile
from zoneinfo import ZoneInfo

import numpy as np
from sqlmodel import Session, func, select

from clinic.audit import set_actor
from clinic.demo import calibration as cal
from clinic.demo.generator import (
    BaselineDeck,
    Candidate,
    draw_candidate,
    draw_complication,
    draw_outcomes,
    draw_procedure,
)
from clinic.demo.protocol import DEMO_STUDY
from clinic.demo.staff import ensure_staff
from clinic.demo.writers import DemoWriter, Enrolled, ServiceWriter, Visit
from clinic.enrollment.randomization import generate_allocation_sequence
from clinic.models import (
    AllocationSlot,
    Site,
    Study,
    StudyArm,
    StudyMonitor,
    StudyTimepoint,
    User,
)
from clinic.procedures.inputs import ProcedureInput
from clinic.protocol.allocation import stratum_for
from clinic.queries.rules import run_rules
from clinic.studies.setup import create_study

_MAX_CANDIDATES_PER_PATIENT = 50  # about 1.1 are needed; beyond 50 the loop is stuck
_STRATA = ("punctures_1_2", "punctures_3_4", "punctures_5_6")


@dataclass(frozen=True)
class DemoResult:
    study: Study
    screened: int
    enrolled: int
    by_arm: dict[str, int]
    queries: int = 0  # raised by the automatic data-query rules


@dataclass
class _Context:
    session: Session
    study: Study
    rng: np.random.Generator
    today: date
    zone: ZoneInfo
    arms: dict[int, StudyArm]
    timepoints: dict[int, StudyTimepoint]
    nurses: dict[int, User]  # site id -> nurse
    deck: BaselineDeck
    sequence: _Sequence
    writer: DemoWriter


def seed_demo(session: Session, *, patients: int, seed: int, today: date,
              timezone: str, through: str = "batch") -> DemoResult:
    """``through``: "batch" (clinic.demo.batch, a few statements per table) or
    "services" (each step through the services the screens call, one patient at a
    time: the reference the batch writer is compared with, and some 10 times slower)."""
    sites, users = ensure_staff(session)
    set_actor(session, users["coordinator@demo.invalid"].id, "Synthetic demo data")
    study = create_study(session, DEMO_STUDY)
    session.add(StudyMonitor(user_id=users["monitor@demo.invalid"].id, study_id=study.id))
    generate_allocation_sequence(session, study, seed=seed,
                                 slots_per_stratum=max(60, patients + 12))
    ctx = _context(session, study, seed, today, timezone, sites, users, patients,
                   _writer(through, session, study, timezone))
    criteria = [c.code for c in DEMO_STUDY.criteria]
    inclusion = {c.code for c in DEMO_STUDY.criteria if c.kind == "inclusion"}
    screened = enrolled = index = 0
    while enrolled < patients:
        index += 1
        if index > _MAX_CANDIDATES_PER_PATIENT * patients:
            raise RuntimeError(f"Demo recruitment is stuck at {enrolled} of {patients} "
                               "patients: no allocation block fits what is left.")
        candidate = draw_candidate(ctx.rng, index, criteria, inclusion, today)
        if not _fits_target(ctx, candidate, patients - enrolled):
            continue
        screened += 1
        enrolled += _screen_and_treat(ctx, candidate, sites[index % len(sites)])
    ctx.writer.finish()
    counts = {arm.code: n for arm, n in _arm_counts(session, study)}
    queries = run_rules(session, study_id=study.id)  # as the nightly job would
    return DemoResult(study, screened, enrolled, counts, queries)


def _writer(through: str, session: Session, study: Study, timezone: str) -> DemoWriter:
    if through == "services":
        return ServiceWriter(session, study, timezone)
    if through == "batch":
        from clinic.demo.batch import BatchWriter

        return BatchWriter(session, study, timezone)
    raise ValueError(f"seed_demo through {through!r}: 'batch' or 'services'")


def _context(session: Session, study: Study, seed: int, today: date, timezone: str,
             sites: list[Site], users: dict[str, User], patients: int,
             writer: DemoWriter) -> _Context:
    arms = {a.id: a for a in session.exec(select(StudyArm).where(StudyArm.study_id == study.id))}
    tps = {t.id: t for t in session.exec(select(StudyTimepoint)
                                         .where(StudyTimepoint.study_id == study.id))}
    nurses = {u.site_id: u for u in users.values() if u.role == "nurse"}
    rng = np.random.default_rng(seed)
    return _Context(session, study, rng, today, ZoneInfo(timezone), arms, tps,
                    nurses, BaselineDeck(rng, patients // len(arms)),  # type: ignore[arg-type]
                    _Sequence.read(session, study.id), writer)  # type: ignore[arg-type]


@dataclass
class _Sequence:
    """The generator's own copy of the concealed sequence's block layout (it plans the
    recruitment; it does not allocate): per stratum, each position's block index and
    size, and how many positions enrollment has used. Enrollment takes the first free
    slot of a stratum (clinic.enrollment.randomization.next_free_slot), so the used
    positions are always the first ones; ``_screen_and_treat`` checks that it did."""

    blocks: dict[str, list[tuple[int, int]]]  # stratum -> (block index, block size) by position
    used: dict[str, int]

    @classmethod
    def read(cls, session: Session, study_id: int) -> _Sequence:
        blocks: dict[str, list[tuple[int, int]]] = {stratum: [] for stratum in _STRATA}
        for stratum, block, size in session.exec(
                select(AllocationSlot.stratum, AllocationSlot.block_index,
                       AllocationSlot.block_size)
                .where(AllocationSlot.study_id == study_id)
                .order_by(AllocationSlot.stratum, AllocationSlot.position)):
            blocks[stratum].append((block, size))
        return cls(blocks, dict.fromkeys(blocks, 0))

    def next_block_size(self, stratum: str) -> int:
        return self.blocks[stratum][self.used[stratum]][1]

    def left_in_open_block(self, stratum: str) -> int:
        """Free positions of the stratum's block already begun (0: none is begun)."""
        at, layout = self.used[stratum], self.blocks[stratum]
        if at == 0 or at == len(layout) or layout[at][0] != layout[at - 1][0]:
            return 0
        begun = layout[at][0]  # a block's positions follow each other
        return sum(1 for _ in takewhile(lambda slot: slot[0] == begun, islice(layout, at, None)))


def _fits_target(ctx: _Context, c: Candidate, remaining: int) -> bool:
    """Enroll into an open block, or open a new block only if it fits the target."""
    stratum = stratum_for({"punctures": c.punctures}, DEMO_STUDY.strata)
    if ctx.sequence.left_in_open_block(stratum):
        return True
    open_slots = sum(ctx.sequence.left_in_open_block(s) for s in _STRATA)
    if open_slots + ctx.sequence.next_block_size(stratum) <= remaining:
        return True
    return open_slots == 0 and _no_block_fits(ctx, remaining)


def _no_block_fits(ctx: _Context, remaining: int) -> bool:
    """Every stratum's next block is larger than what is left to recruit (say 2 left
    and the next blocks hold 4 and 6): end on an incomplete block, as a trial whose
    recruitment closes does, instead of drawing candidates for ever."""
    return min(ctx.sequence.next_block_size(s) for s in _STRATA) > remaining


def _screen_and_treat(ctx: _Context, c: Candidate, site: Site) -> int:
    nurse_id: int = ctx.nurses[site.id].id  # type: ignore[index,assignment]
    screened_at = _screening_time(ctx, c)
    screening = ctx.writer.screen(site.id, c.answers, nurse_id, screened_at)  # type: ignore[arg-type]
    if screening is None:
        return 0
    randomized_at = screened_at + timedelta(minutes=20)
    enrolled = ctx.writer.enroll(screening, c.patient, c.identity, {"punctures": c.punctures},
                                 c.enrolled_on, nurse_id, randomized_at)
    assert enrolled.slot_position == ctx.sequence.used[enrolled.stratum] + 1, \
        "enrollment did not take the stratum's first free slot"
    ctx.sequence.used[enrolled.stratum] += 1
    arm = ctx.arms[enrolled.arm_id]
    data = _after(draw_procedure(ctx.rng, c, arm.code, arm.modality, ctx.zone), randomized_at)
    procedure = ctx.writer.procedure(enrolled, data)
    _follow_ups(ctx, enrolled, arm.code, nurse_id)
    complication = draw_complication(ctx.rng, arm.code)
    if complication:
        ctx.writer.adverse_event(enrolled, complication,
                                 min(c.procedure_day + timedelta(days=3), ctx.today), procedure)
    if ctx.rng.random() < cal.WITHDRAWAL_RATE:
        ctx.writer.withdraw(enrolled, "Withdrew consent", nurse_id)
    return 1


def _follow_ups(ctx: _Context, enrolled: Enrolled, arm: str, nurse_id: int) -> None:
    outcomes = draw_outcomes(ctx.rng, arm, ctx.deck.deal(arm))
    for visit in ctx.writer.visits(enrolled):
        code = ctx.timepoints[visit.timepoint_id].code
        action = _behaviour(ctx, visit, code)
        if action == "complete":
            measures = ctx.writer.measures(visit)
            entries = {k: v for k, v in outcomes.get(code, {}).items() if k in measures}
            mode = "in_clinic" if code in ("baseline", "day_1") else str(
                ctx.rng.choice(["in_clinic", "phone", "phone"]))
            ctx.writer.complete(visit, entries, mode, nurse_id, _visit_time(ctx, visit))
        elif action == "not_done":
            ctx.writer.not_done(visit, "Patient could not be reached", nurse_id)


def _behaviour(ctx: _Context, a: Visit, code: str) -> str:
    """complete / not_done / leave pending, given where today is relative to the window."""
    p = ctx.rng.random()
    if a.window_close < ctx.today:
        if p < cal.COMPLETION[code]:
            return "complete"
        return "not_done" if ctx.rng.random() < cal.NOT_DONE_SHARE_OF_MISSES else "pending"
    if a.window_open <= ctx.today:
        return "complete" if p < (0.5 if a.target_date < ctx.today else 0.2) else "pending"
    return "pending"


def _after(data: ProcedureInput, randomized_at: datetime) -> ProcedureInput:
    """A procedure on the day of the randomization comes after it (its drawn clock time
    came before it for 8 of the 200 demo patients, so that each of their corrections
    began with the warning "before the randomization"); never after now."""
    if data.performed_at >= randomized_at:
        return data
    later = min(randomized_at + timedelta(minutes=PROCEDURE_AFTER_MINUTES), datetime.now(UTC))
    return replace(data, performed_at=max(later, randomized_at))


PROCEDURE_AFTER_MINUTES = 40


def _screening_time(ctx: _Context, c: Candidate) -> datetime:
    """The screening visit: on the enrollment day, in clinic hours (not drawn, so that
    the draws stay as they were), 20 minutes before the allocation; never after now."""
    local = datetime.combine(c.enrolled_on, time(8 + c.index % 8, 15 * (c.index % 4)),
                             tzinfo=ctx.zone)
    return min(local.astimezone(UTC), datetime.now(UTC) - timedelta(minutes=20))


def _visit_time(ctx: _Context, a: Visit) -> datetime:
    day = min(a.target_date + timedelta(days=int(ctx.rng.integers(-1, 2))), ctx.today)
    day = min(max(day, a.window_open), a.window_close)  # a visit inside its window
    local = datetime.combine(day, time(9 + int(ctx.rng.integers(0, 8))), tzinfo=ctx.zone)
    return local.astimezone(UTC)


def _arm_counts(session: Session, study: Study) -> list[tuple[StudyArm, int]]:
    from clinic.models import Enrollment

    rows = session.exec(select(StudyArm, func.count(Enrollment.id))
                        .join(Enrollment, Enrollment.arm_id == StudyArm.id)
                        .where(StudyArm.study_id == study.id).group_by(StudyArm.id)).all()
    return list(rows)
