"""Writers at once, on SQLite and PostgreSQL: 16 editors on one record lose no update,
16 enrollments take 16 different allocation slots; no request answers 5xx."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import Session, func, select

from clinic.auth.tokens import create_token
from clinic.db import get_engine
from clinic.models import AllocationSlot, AuditEvent, Enrollment, Patient
from tests.web.helpers import login
from tests.web.test_enroll import _form as enrollment_form

pytestmark = pytest.mark.slow
EDITORS, INCREMENTS = 16, 5


def _token(app, user) -> dict[str, str]:
    with Session(get_engine(app)) as session:
        _row, plain = create_token(session, user=user, name="probe")
        session.commit()
    return {"Authorization": f"Bearer {plain}"}


def test_sixteen_editors_on_one_record_lose_no_update(app, clinic, db):
    headers = _token(app, clinic.users["coordinator"])
    url = f"/api/v1/patients/{clinic.patient.id}"
    statuses: Counter[int] = Counter()
    lock = threading.Lock()

    def editor(number: int) -> int:
        client = app.test_client()
        done = 0
        while done < INCREMENTS:
            current = client.get(url, headers=headers).get_json()
            value = (current["symptom_duration_months"] or 0) + 1
            response = client.patch(url, headers=headers, json={
                "version": current["version"], "reason": f"editor {number}",
                "symptom_duration_months": value})
            with lock:
                statuses[response.status_code] += 1
            if response.status_code == 200:
                done += 1
            else:
                assert response.status_code == 409, response.get_json()
        return done

    before = db.get(Patient, clinic.patient.id)
    start_value, start_version = before.symptom_duration_months or 0, before.version
    with ThreadPoolExecutor(EDITORS) as pool:
        assert sum(pool.map(editor, range(EDITORS))) == EDITORS * INCREMENTS
    db.expire_all()
    after = db.get(Patient, clinic.patient.id)
    total = EDITORS * INCREMENTS
    assert after.symptom_duration_months == start_value + total, "no lost update"
    assert after.version == start_version + total
    events = db.exec(select(AuditEvent).where(
        AuditEvent.entity == "patient", AuditEvent.entity_id == clinic.patient.id,
        AuditEvent.field == "symptom_duration_months").order_by(AuditEvent.id)).all()
    assert len(events) == total
    chain = [(float(e.old_value or 0), float(e.new_value)) for e in events]
    assert all(new == old + 1 for old, new in chain), "each change built on the last one"
    assert not [s for s in statuses if s >= 500], statuses
    print(f"\n16 editors: {statuses[200]} saved, {statuses[409]} conflicts, 0 lost, "
          f"0 5xx ({db.get_bind().dialect.name})")


def test_sixteen_enrollments_at_once_take_sixteen_slots(app, clinic, db):
    clients = []
    for _ in range(EDITORS):
        client = app.test_client()
        login(client, clinic.users["nurse"])
        clients.append(client)

    def enroll(number: int) -> int:
        form = enrollment_form(study_code=f"RACE-{number:02d}", **{"factor.punctures": "3"})
        return clients[number].post(f"/studies/{clinic.study.code}/enroll",
                                    data=form).status_code

    with ThreadPoolExecutor(EDITORS) as pool:
        statuses = list(pool.map(enroll, range(EDITORS)))
    assert statuses == [302] * EDITORS, statuses
    db.expire_all()
    slots = db.exec(select(Enrollment.allocation_slot_id).join(Patient).where(
        Patient.study_code.like("RACE-%"))).all()
    assert len(slots) == EDITORS and len(set(slots)) == EDITORS, "no slot taken twice"
    positions = sorted(db.exec(select(AllocationSlot.position).where(
        AllocationSlot.id.in_(slots))).all())
    taken_before = db.exec(select(func.count()).select_from(Enrollment).where(
        Enrollment.stratum == "punctures_3_4")).one() - EDITORS
    first = db.exec(select(func.min(AllocationSlot.position)).where(
        AllocationSlot.stratum == "punctures_3_4")).one()
    assert positions == list(range(first + taken_before, first + taken_before + EDITORS))
    from tests.scale.test_enrollment_tally import _counted, _tallied

    assert _tallied(db) == _counted(db), "the enrollment tallies kept up with 16 writers"
    print(f"\n16 enrollments: 16 distinct slots, 0 duplicates, 0 5xx "
          f"({db.get_bind().dialect.name})")


def test_ten_enrollments_of_one_person_at_once_enroll_one(app, clinic, db):
    """Found by fuzzing: ten posts with one MRN at once enrolled ten patients."""
    from clinic.models import PatientIdentity

    clients = []
    for _ in range(10):
        client = app.test_client()
        login(client, clinic.users["nurse"])
        clients.append(client)

    def enroll(number: int) -> int:
        form = enrollment_form(study_code=f"SAME-{number:02d}", mrn="MRN-SAME")
        return clients[number].post(f"/studies/{clinic.study.code}/enroll",
                                    data=form).status_code

    with ThreadPoolExecutor(10) as pool:
        statuses = Counter(pool.map(enroll, range(10)))
    assert statuses == Counter({302: 1, 422: 9}), statuses
    db.expire_all()
    assert db.exec(select(func.count()).select_from(PatientIdentity).where(
        PatientIdentity.mrn == "MRN-SAME")).one() == 1
