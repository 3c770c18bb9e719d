"""Correcting a procedure's date from the patient page moves only pending follow-ups."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from clinic.models import Assessment, AuditEvent, Procedure, StudyTimepoint
from tests.web.helpers import login


def _schedule(db, patient_id: int) -> dict[str, tuple[str, object]]:
    db.expire_all()
    rows = db.exec(select(StudyTimepoint.code, Assessment.state, Assessment.target_date)
                   .join(Assessment, Assessment.timepoint_id == StudyTimepoint.id)
                   .where(Assessment.patient_id == patient_id)).all()
    return {code: (state, target) for code, state, target in rows}


def _procedure(db, patient_id: int) -> Procedure:
    db.expire_all()
    return db.exec(select(Procedure).where(Procedure.patient_id == patient_id)).one()


def test_moving_the_procedure_moves_pending_follow_ups(client, clinic, db):
    login(client, clinic.users["physician"])
    before = _schedule(db, clinic.patient.id)
    procedure = _procedure(db, clinic.patient.id)
    new_day = (procedure.performed_at + timedelta(days=5)).strftime("%Y-%m-%dT09:30")
    response = client.post(f"/procedures/{procedure.id}/reschedule", data={
        "performed_at": new_day, "version": str(procedure.version),
        "reason": "Date typed wrongly"})
    assert response.status_code == 302
    after = _schedule(db, clinic.patient.id)
    for code, (state, target) in before.items():
        expected = target if state != "pending" else target + timedelta(days=5)
        assert after[code][1] == expected, code
    event = db.exec(select(AuditEvent).where(AuditEvent.entity == "procedure",
                                             AuditEvent.field == "performed_at")).one()
    assert event.reason == "Date typed wrongly"


def test_a_stale_version_is_a_conflict_and_changes_nothing(client, clinic, db):
    login(client, clinic.users["coordinator"])
    procedure = _procedure(db, clinic.patient.id)
    response = client.post(f"/procedures/{procedure.id}/reschedule", data={
        "performed_at": "2026-01-01T10:00", "version": str(procedure.version - 1),
        "reason": "Typo"})
    assert response.status_code == 409
    assert "NOT saved" in response.get_data(as_text=True)
    assert _procedure(db, clinic.patient.id).performed_at == procedure.performed_at


def test_a_reason_is_required(client, clinic, db):
    login(client, clinic.users["physician"])
    procedure = _procedure(db, clinic.patient.id)
    response = client.post(f"/procedures/{procedure.id}/reschedule", data={
        "performed_at": "2026-01-01T10:00", "version": str(procedure.version), "reason": ""})
    assert response.status_code == 422


def test_nurses_cannot_move_procedures(client, clinic, db):
    login(client, clinic.users["nurse"])
    procedure = _procedure(db, clinic.patient.id)
    assert client.get(f"/procedures/{procedure.id}/reschedule").status_code == 403
