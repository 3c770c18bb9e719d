"""The nerve roots a study asks the laterality of are the study's own: a neck study asks
C5–C7, not the seed trial's lumbar L3–L5; the protocol, the builder, the enrollment form,
the enrollment service, amendments and the report all follow them."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from clinic.catalog import ROOTS
from clinic.demo.protocol import DEMO_STUDY
from clinic.enrollment.inputs import PatientInput, validate_patient
from clinic.enrollment.randomization import generate_allocation_sequence
from clinic.exceptions import ValidationError
from clinic.models import RootLaterality, Study
from clinic.protocol.document import check_document
from clinic.protocol.protocol_file import from_definition
from clinic.studies.amendments import amend
from clinic.studies.protocols import document_of
from clinic.studies.setup import load_definition, study_roots
from tests.factories import make_patient, make_procedure, make_site, make_study
from tests.reports.helpers import report_of
from tests.web.helpers import login, post_builder

NECK = dataclasses.replace(DEMO_STUDY, code="NECK", title="Cervical radiculopathy",
                           roots=("C5", "C6", "C7"))


def _problems(**change: object) -> list[str]:
    doc = from_definition(DEMO_STUDY).model_copy(update=change)
    return [message for _path, message in check_document(doc)]


def test_a_protocol_names_real_roots_once_each():
    assert _problems(roots=["C5", "C6", "C7"]) == []
    assert _problems(roots=[]) == [], "none asked is a choice"
    assert _problems(roots=["L6"]) == ["'L6' is not a nerve root: C1–C8, T1–T12, L1–L5 or S1–S5."]
    assert _problems(roots=["C6", "C6"]) == ["C6 is listed twice."]
    assert _problems(roots=["L5-S1"]) == [
        "'L5-S1' is not a nerve root: C1–C8, T1–T12, L1–L5 or S1–S5."], "a level, not a root"


def test_a_study_made_before_roots_were_set_asks_the_lumbar_ones(session):
    study = make_study(session)
    study.roots = None
    assert study_roots(study) == ROOTS == ("L3", "L4", "L5")
    assert load_definition(session, study).roots == ROOTS


def test_enrollment_takes_only_the_studys_roots(session):
    study = make_study(session, NECK)
    site = make_site(session)
    patient, _ = make_patient(session, study, site=site, root_laterality={"C6": "bilateral"})
    stored = session.exec(select(RootLaterality).where(RootLaterality.patient_id == patient.id))
    assert [(r.root, r.laterality) for r in stored] == [("C6", "bilateral")]
    with pytest.raises(ValidationError) as refused:
        make_patient(session, study, site=site, root_laterality={"L4": "unilateral"})
    assert refused.value.errors == {"root_laterality.L4": "The study does not ask the "
                                    "laterality at L4 (it asks C5, C6, C7)."}
    with pytest.raises(ValidationError):  # the pure check, with the study's roots
        validate_patient(PatientInput("X-1", "female", 50, root_laterality={"L4": "none"}),
                         date(2026, 1, 10), ("C5",))


def test_the_report_shows_the_studys_roots(session):
    study = make_study(session, NECK)
    site = make_site(session)
    for i, side in enumerate(("unilateral", "bilateral", "none", "unilateral")):
        patient, _ = make_patient(session, study, site=site, punctures=2,
                                  root_laterality={"C6": side, "C7": "none"})
        make_procedure(session, patient, modality="ct" if i % 2 else "fluoroscopy")
    session.commit()
    report = report_of(session, "NECK")
    labels = [r.label for r in report.table("table1").rows]
    assert "C6 root laterality" in labels and "C7 root laterality" in labels
    assert not any(label.startswith("L4 root") for label in labels)
    assert any("C6, C7" in note for note in report.table("table1").notes), \
        "the roots asked but not recorded (C5) are named"


def test_an_amendment_changes_the_roots_and_says_so(session):
    study = make_study(session)
    make_patient(session, study)  # L4 recorded before the change
    doc = document_of(session, study)
    doc.roots = ["L4", "L5", "S1"]
    amendment = amend(session, study=study, doc=doc, reason="S1 radiculopathy included",
                      actor_id=None, timezone="Europe/Berlin",
                      now=datetime(2026, 3, 1, 9, tzinfo=UTC))
    session.commit()
    assert "nerve roots asked at enrollment: L3, L4, L5 → L4, L5, S1" in amendment.summary
    assert study_roots(session.get(Study, study.id)) == ("L4", "L5", "S1")


def test_the_builder_sets_the_roots_and_the_form_asks_them(client, clinic, db):
    login(client, clinic.users["coordinator"])
    blank = client.get("/admin/studies/new").get_data(as_text=True)
    # a new study asks no root until it names them (found trying the screens as a new
    # user would: a facet-joint study started with the lumbar roots and asked them)
    assert 'name="roots" value=""' in blank
    doc = document_of(db, db.get(Study, clinic.study.id))
    form = _builder_form(doc.model_copy(update={"code": "NECK2"}), roots="c5, C6;C7")
    created = client.post("/admin/studies/new", data=form)
    assert created.status_code == 302, created.get_data(as_text=True)[:2000]
    study = db.exec(select(Study).where(Study.code == "NECK2")).one()
    assert study.roots == ["C5", "C6", "C7"]
    wrong = post_builder(client, f"/admin/studies/{study.id}/builder",
                        data=_builder_form(doc.model_copy(update={"code": "NECK2"}),
                                           roots="C5, L9"))
    assert wrong.status_code == 422 and "&#39;L9&#39; is not a nerve root" in \
        wrong.get_data(as_text=True)
    client.post(f"/admin/studies/{study.id}/activate", data={"confirm": "yes"})
    db.expire_all()
    generate_allocation_sequence(db, db.get(Study, study.id), seed=3, slots_per_stratum=12)
    db.commit()
    login(client, clinic.users["nurse"])
    page = client.get("/studies/NECK2/enroll").get_data(as_text=True)
    assert 'name="root.C6"' in page and 'name="root.L4"' not in page


def _builder_form(doc, roots: str) -> dict[str, str]:
    from clinic.web.study_form import form_values

    values = form_values(doc)
    values["roots"] = roots
    return dict(values.items(multi=True))
