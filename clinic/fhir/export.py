"""Read a patient or a whole study and build its FHIR resources (a few set-based queries
per batch of patients, whatever their number)."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from clinic.catalog import INT_MAX
from clinic.fhir import build
from clinic.fhir.codes import DOSE_COMPONENTS, SCORE_CODES
from clinic.models import (
    AdverseEvent,
    Assessment,
    AuditEvent,
    Medication,
    Patient,
    PatientIdentity,
    Procedure,
    ProcedureTarget,
    Score,
    ScoreSection,
    Study,
)
from clinic.scoring.instruments import INSTRUMENTS, InstrumentKind

BATCH = 500
FHIR_SCORES = frozenset(SCORE_CODES)  # VAS, NRS, ODI, NDI
DOSE_COLUMNS = tuple(DOSE_COMPONENTS)


def patient_bundle(session: Session, patient: Patient, *, with_identity: bool,
                   base: str) -> dict[str, Any]:
    """``Patient/{id}/$everything``: a searchset Bundle of the patient's resources.
    ``base``: the server's FHIR base URL; each entry's ``fullUrl`` is absolute (FHIR R4
    Bundle: an entry of a resource on a RESTful server is its absolute URL there), and the
    resources' relative references (``Patient/12``) resolve against it."""
    study = session.get(Study, patient.study_id)
    assert study is not None
    resources = list(_resources(session, study, [patient], with_identity=with_identity))
    questionnaires = {r["questionnaire"].rsplit("/", 1)[1] for r in resources
                      if r["resourceType"] == "QuestionnaireResponse"}
    resources += [build.questionnaire(code) for code in sorted(questionnaires)]
    return {"resourceType": "Bundle", "type": "searchset", "total": len(resources),
            "entry": [{"fullUrl": f"{base.rstrip('/')}/{r['resourceType']}/{r['id']}",
                       "resource": r,
                       "search": {"mode": "match" if r["resourceType"] == "Patient"
                                  else "include"}} for r in resources]}


# how the ids of the resources read one at a time (codes.READABLE) are written: a number
# (Patient, Procedure) or a prefix and the row's number
QUESTIONNAIRES = ("odi", "ndi")  # the instruments answered section by section
_KEY = re.compile(r"(?:(score|dose|qr|ae|med)-)?([0-9]{1,10})")
_PREFIXES = {"Patient": (None,), "Procedure": (None,), "Observation": ("score", "dose"),
             "QuestionnaireResponse": ("qr",), "AdverseEvent": ("ae",),
             "MedicationStatement": ("med",)}


def owner_of(session: Session, kind: str, key: str) -> int | None:
    """The id of the patient whose record holds the resource ``kind/key`` (as
    :func:`patient_bundle` names it), or None: no such resource."""
    match = _KEY.fullmatch(key)
    if match is None or match.group(1) not in _PREFIXES.get(kind, ()):
        return None
    prefix, number = match.group(1), int(match.group(2))
    if number > INT_MAX:
        return None
    if kind == "Patient":
        return number
    if kind == "Procedure" or prefix == "dose":
        query: Any = select(Procedure.patient_id).where(Procedure.id == number)
    elif prefix in ("score", "qr"):
        query = select(Assessment.patient_id).join(
            Score, col(Score.assessment_id) == col(Assessment.id)).where(Score.id == number)
    elif prefix == "ae":
        query = select(AdverseEvent.patient_id).where(AdverseEvent.id == number)
    else:
        query = select(Assessment.patient_id).join(
            Medication, col(Medication.assessment_id) == col(Assessment.id)).where(
            Medication.id == number)
    return session.exec(query).first()


def patient_resource(session: Session, patient: Patient, kind: str, key: str, *,
                     with_identity: bool) -> dict[str, Any] | None:
    """The resource ``kind/key`` of the patient's record, as :func:`patient_bundle`
    holds it (None: the record has no such resource, e.g. a score with no value). Only
    the rows of that kind are read."""
    study = session.get(Study, patient.study_id)
    assert study is not None
    ids = [patient.id]
    if kind == "Patient":  # (the first resource: nothing else is read)
        found = _resources(session, study, [patient], with_identity=with_identity)
    elif kind == "Procedure" or key.startswith("dose-"):
        found = _procedures(session, ids)
    elif kind in ("Observation", "QuestionnaireResponse"):
        found = _scores(session, ids)
    elif kind == "AdverseEvent":
        found = _adverse_events(session, ids)
    else:
        found = _medications(session, ids)
    return next((r for r in found if r["resourceType"] == kind and r["id"] == key), None)


def questionnaire(code: str) -> dict[str, Any] | None:
    """The Questionnaire of an instrument answered section by section (``odi``, ``ndi``)."""
    return build.questionnaire(code) if code in QUESTIONNAIRES else None


def export_study(session: Session, study: Study, out: Path) -> dict[str, int]:
    """Bulk export: one NDJSON file per resource type in ``out``; counts per type."""
    out.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = defaultdict(int)
    files: dict[str, Any] = {}
    try:
        for resource in _study_resources(session, study):
            kind = resource["resourceType"]
            if kind not in files:
                files[kind] = (out / f"{kind}.ndjson").open("w", encoding="utf-8")
            files[kind].write(json.dumps(resource, ensure_ascii=False, separators=(",", ":"))
                              + "\n")
            counts[kind] += 1
    finally:
        for handle in files.values():
            handle.close()
    return dict(counts)


def _study_resources(session: Session, study: Study) -> Iterator[dict[str, Any]]:
    instruments = set()
    last = 0
    while True:
        patients = list(session.exec(select(Patient).where(
            Patient.study_id == study.id, col(Patient.id) > last)
            .order_by(col(Patient.id)).limit(BATCH)).all())
        if not patients:
            break
        last = patients[-1].id  # type: ignore[assignment]
        for resource in _resources(session, study, patients, with_identity=False):
            if resource["resourceType"] == "QuestionnaireResponse":
                instruments.add(resource["questionnaire"].rsplit("/", 1)[1])
            yield resource
    for code in sorted(instruments):
        yield build.questionnaire(code)


def _resources(session: Session, study: Study, patients: Sequence[Patient], *,
               with_identity: bool) -> Iterator[dict[str, Any]]:
    ids = [p.id for p in patients]
    identities = _identities(session, ids) if with_identity else {}
    for p in patients:
        yield build.patient(p.id, study_code=p.study_code, study=study.code,  # type: ignore[arg-type]
                            sex=p.sex, identity=identities.get(p.id))  # type: ignore[arg-type]
    yield from _procedures(session, ids)
    yield from _scores(session, ids)
    yield from _adverse_events(session, ids)
    yield from _medications(session, ids)


def _identities(session: Session, ids: list[int | None]) -> dict[int, dict[str, str | None]]:
    rows = session.exec(select(PatientIdentity).where(col(PatientIdentity.patient_id).in_(ids)))
    return {i.patient_id: {"name": i.name, "mrn": i.mrn} for i in rows}


def _procedures(session: Session, ids: list[int | None]) -> Iterator[dict[str, Any]]:
    procedures = list(session.exec(select(Procedure).where(col(Procedure.patient_id).in_(ids))
                                   .order_by(col(Procedure.id))).all())
    levels: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for t in session.exec(select(ProcedureTarget).where(col(ProcedureTarget.procedure_id).in_(
            [p.id for p in procedures])).order_by(col(ProcedureTarget.id))):
        levels[t.procedure_id].append((t.level, t.side))
    for p in procedures:
        yield build.procedure(p.id, p.patient_id, procedure_type=p.procedure_type,  # type: ignore[arg-type]
                              modality=p.modality, performed_at=p.performed_at,
                              levels=levels[p.id])  # type: ignore[index]
        dose = build.dose_observation(f"dose-{p.id}", p.patient_id, p.id, at=p.performed_at,  # type: ignore[arg-type]
                                      values={c: getattr(p, c) for c in DOSE_COLUMNS})
        if dose is not None:
            yield dose


def _corrected(session: Session, score_ids: list[int]) -> set[int]:
    """The scores changed since they were recorded: their value, or a section of theirs
    changed or removed (audited corrections; a batch of ids per query, by the record
    index)."""
    found: set[int] = set()
    for start in range(0, len(score_ids), BATCH):
        batch = score_ids[start:start + BATCH]
        found.update(session.exec(select(AuditEvent.entity_id).where(
            AuditEvent.entity == "score", AuditEvent.action == "update",
            col(AuditEvent.entity_id).in_(batch))).all())
        found.update(session.exec(select(AuditEvent.parent_id).where(  # type: ignore[call-overload]
            AuditEvent.parent_entity == "score", col(AuditEvent.action).in_(
                ("update", "delete")), col(AuditEvent.parent_id).in_(batch))).all())
    return found


def _adverse_events(session: Session, ids: list[int | None]) -> Iterator[dict[str, Any]]:
    for e in session.exec(select(AdverseEvent).where(col(AdverseEvent.patient_id).in_(ids))
                          .order_by(col(AdverseEvent.id))):
        yield build.adverse_event(f"ae-{e.id}", e.patient_id, event_type=e.event_type,
                                  onset_on=e.onset_on, severity=e.severity,
                                  is_related=e.is_related, is_resolved=e.is_resolved,
                                  recorded_at=e.recorded_at, procedure_key=e.procedure_id)


def _medications(session: Session, ids: list[int | None]) -> Iterator[dict[str, Any]]:
    rows = session.exec(select(Medication, Assessment.patient_id, Assessment.completed_at)
                        .join(Assessment, col(Assessment.id) == col(Medication.assessment_id))
                        .where(col(Assessment.patient_id).in_(ids))
                        .order_by(col(Medication.id))).all()
    for m, patient_id, at in rows:
        yield build.medication_statement(f"med-{m.id}", patient_id, med_class=m.med_class,
                                         drug=m.drug, daily_dose_mg=m.daily_dose_mg, at=at)


def _scores(session: Session, ids: list[int | None]) -> Iterator[dict[str, Any]]:
    rows = session.exec(select(Score, Assessment.patient_id)
                        .join(Assessment, col(Assessment.id) == col(Score.assessment_id))
                        .where(col(Assessment.patient_id).in_(ids))
                        .order_by(col(Score.id))).all()
    sectioned = [s.id for s, _p in rows
                 if INSTRUMENTS[s.instrument].kind == InstrumentKind.SECTIONS]
    sections: dict[int, dict[int, int]] = defaultdict(dict)
    for start in range(0, len(sectioned), BATCH):
        for section in session.exec(select(ScoreSection).where(
                col(ScoreSection.score_id).in_(sectioned[start:start + BATCH]))):
            sections[section.score_id][section.section] = section.value
    amended = _corrected(session, [s.id for s, _p in rows])  # type: ignore[misc]
    for score, patient_id in rows:
        response = None
        if score.id in sections or score.instrument in ("odi", "ndi"):
            response = f"qr-{score.id}"
            yield build.questionnaire_response(response, patient_id, instrument=score.instrument,
                                               at=score.collected_at,
                                               sections=sections.get(score.id, {}),  # type: ignore[arg-type]
                                               total=score.value)
        if score.value is not None and score.instrument not in FHIR_SCORES:
            yield build.other_observation(f"score-{score.id}", patient_id,
                                          instrument=score.instrument, value=score.value,
                                          at=score.collected_at, amended=score.id in amended)
        elif score.value is not None:
            yield build.score_observation(f"score-{score.id}", patient_id,
                                          instrument=score.instrument, value=score.value,
                                          at=score.collected_at, derived_from=response,
                                          amended=score.id in amended)
