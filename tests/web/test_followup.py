"""Follow-up entry: only the timepoint's measures, refusals next to the field, nothing
stored on error, 'not done' needs a reason, corrections keep the old value."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from clinic.models import (
    AdverseEvent,
    Assessment,
    AuditEvent,
    DataQuery,
    DataQueryStep,
    Score,
    ScoreSection,
    StudyTimepoint,
)
from clinic.scheduling.windows import FAR_OUTSIDE_DAYS
from tests.factories import make_patient, make_procedure
from tests.web.helpers import login, odi_form, submitted_form, today_in

GOOD_ODI = [2, 1, 3, 2, 1, 2, 1, 0, 2, 2]  # sum 16 → 32 %
# after the consent and the procedure of the clinic fixture (both relative to today)
ONSET = (date.today() - timedelta(days=2)).isoformat()


def _scores(db, assessment_id):
    db.expire_all()
    return {s.instrument: s for s in db.exec(select(Score).where(
        Score.assessment_id == assessment_id))}


def test_the_form_shows_only_the_measures_of_the_timepoint(client, clinic):
    login(client, clinic.users["nurse"])
    page = client.get(f"/followup/{clinic.due.id}").get_data(as_text=True)
    assert 'name="vas"' in page and 'name="odi.pain_intensity"' in page
    assert 'name="satisfaction_results"' in page and 'name="ome"' in page
    assert 'name="satisfaction_procedure"' not in page  # collected at 1 week only
    assert 'for="odi-sex_life"' in page  # every input has a label


def test_an_out_of_range_value_is_refused_next_to_the_field_and_nothing_is_stored(
        client, clinic, db):
    login(client, clinic.users["nurse"])
    form = {"mode": "phone", "vas": "12", "version": str(clinic.due.version),
            **odi_form([2, 1, 7, 2, 1, 2, 1, 0, 2, 2])}
    response = client.post(f"/followup/{clinic.due.id}", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="vas-error"' in page and "got 12" in page
    assert 'id="odi-lifting-error"' in page and "Enter 0 to 5 for this section (got 7)." in page
    assert _scores(db, clinic.due.id) == {}
    assert db.get(Assessment, clinic.due.id).state == "pending"


def test_a_valid_entry_is_stored_with_the_server_computed_total(client, clinic, db):
    login(client, clinic.users["nurse"])
    form = {"mode": "in_clinic", "vas": "4", "version": str(clinic.due.version),
            "satisfaction_results": "satisfied", **odi_form(GOOD_ODI),
            "med.0.med_class": "opioid", "med.0.drug": "tramadol", "med.0.daily_dose_mg": "100",
            "ome": "20", "ae.event_type": "transient_headache", "ae.onset_on": ONSET,
            "ae.severity": "mild", "ae.is_related": "yes"}
    response = client.post(f"/followup/{clinic.due.id}", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    scores = _scores(db, clinic.due.id)
    assert scores["vas"].value == 4 and scores["odi"].value == 32.0
    assert scores["odi"].raw_sum == 16 and scores["satisfaction_results"].value == 3
    sections = db.exec(select(ScoreSection).where(ScoreSection.score_id == scores["odi"].id))
    assert sorted(s.value for s in sections) == sorted(GOOD_ODI)
    assert db.get(Assessment, clinic.due.id).state == "completed"
    follow = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Oswestry Disability Index 32 %" in follow
    # the adverse event and the medication are named too (a new user's finding)
    assert "adverse event Transient headache (Mild); tramadol 100 mg/day" in follow


def test_a_bad_adverse_event_keeps_the_valid_scores_from_being_stored(client, clinic, db):
    login(client, clinic.users["nurse"])
    form = {"mode": "phone", "vas": "4", "version": str(clinic.due.version),
            "ae.event_type": "vasovagal"}
    response = client.post(f"/followup/{clinic.due.id}", data=form)
    assert response.status_code == 422
    assert 'id="ae-onset_on-error"' in response.get_data(as_text=True)
    assert _scores(db, clinic.due.id) == {}


def test_an_onset_the_adverse_event_service_refuses_is_shown_at_its_field(client, clinic,
                                                                          db):
    """Found trying the screens as a new user would: an onset before the consent (or,
    related, before the procedure) was refused under the service's own name for it,
    which the form has no field for: "please correct the 1 field marked below", and
    nothing was marked."""
    login(client, clinic.users["nurse"])
    form = {"mode": "phone", "vas": "4", "version": str(clinic.due.version),
            "missing_reason": "not asked in this test", "ae.event_type": "hematoma",
            "ae.onset_on": "2025-06-01", "ae.severity": "mild", "ae.is_related": "yes"}
    refused = client.post(f"/followup/{clinic.due.id}", data=form)
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert 'id="ae-onset_on-error"' in page and "The onset is before the patient" in page
    assert _scores(db, clinic.due.id) == {}


def test_an_other_complication_is_described(client, clinic, db):
    """Found trying the screens as a new user would: 'Other' had no field to say what
    happened; the event was stored as 'Other' and nothing more."""
    login(client, clinic.users["nurse"])
    form = {"mode": "phone", "vas": "4", "version": str(clinic.due.version),
            "missing_reason": "not asked in this test", "ae.event_type": "other",
            "ae.onset_on": ONSET, "ae.severity": "mild", "ae.is_related": "no"}
    refused = client.post(f"/followup/{clinic.due.id}", data=form)
    assert refused.status_code == 422
    assert 'id="ae-notes-error"' in refused.get_data(as_text=True)
    saved = client.post(f"/followup/{clinic.due.id}",
                        data={**form, "ae.notes": "Itching at the puncture site"})
    assert saved.status_code == 302
    event = db.exec(select(AdverseEvent).where(
        AdverseEvent.patient_id == clinic.patient.id)).one()
    assert event.notes == "Itching at the puncture site"


def test_not_done_asks_for_a_reason(client, clinic, db):
    login(client, clinic.users["nurse"])
    url = f"/followup/{clinic.due.id}/not-done"
    refused = client.post(url, data={"version": clinic.due.version, "not_done_reason": " "})
    assert refused.status_code == 422 and 'id="not_done_reason-error"' in refused.get_data(
        as_text=True)
    assert db.get(Assessment, clinic.due.id).state == "pending"
    done = client.post(url, data={"version": clinic.due.version,
                                  "not_done_reason": "Patient in hospital"})
    assert done.status_code == 302
    db.expire_all()
    assessment = db.get(Assessment, clinic.due.id)
    assert assessment.state == "not_done" and assessment.not_done_reason == "Patient in hospital"


def test_a_second_entry_from_a_stale_form_gets_a_conflict(client, clinic, db):
    login(client, clinic.users["nurse"])
    stale = str(clinic.due.version)
    first = {"mode": "phone", "vas": "4", "version": stale, "missing_reason": "ODI declined"}
    assert client.post(f"/followup/{clinic.due.id}", data=first).status_code == 302
    second = client.post(f"/followup/{clinic.due.id}", data={**first, "vas": "9",
                                                              "mode": "in_clinic"})
    assert second.status_code == 409
    page = second.get_data(as_text=True)
    assert "saved this follow-up" in page and 'value="4"' in page
    assert 'id="typed-values"' in page and "<dd>9</dd>" in page, "what was typed, beside"
    # found trying the screens as a new user would: the mode typed was not among them
    assert "<dt>How it was collected</dt><dd>In clinic</dd>" in page
    assert _scores(db, clinic.due.id)["vas"].value == 4


def _saved_by_the_nurse(client, clinic, db, form: dict[str, str]) -> int:
    """The due follow-up saved by the nurse (logged in); its version after the save."""
    login(client, clinic.users["nurse"])
    client.post(f"/followup/{clinic.due.id}", data={  # (a form with every outcome: "")
        "missing_reason": "not asked in this test", **form, "version": clinic.due.version})
    db.expire_all()
    return db.get(Assessment, clinic.due.id).version


def test_a_correction_names_a_bad_value_and_a_missing_reason_together(client, clinic, db):
    """Found trying the screens as a new user would: a VAS of an emoji with a one-letter
    reason named only the reason; the VAS came after the next save."""
    base = {"mode": "phone", "vas": "4", **odi_form(GOOD_ODI)}
    version = _saved_by_the_nurse(client, clinic, db, base)
    response = client.post(f"/followup/{clinic.due.id}/edit",
                           data={**base, "vas": "😀", "version": version, "reason": "x"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="vas-error"' in page and 'id="reason-error"' in page
    assert _scores(db, clinic.due.id)["vas"].value == 4


def test_a_correction_needs_a_reason_and_keeps_the_old_value(client, clinic, db):
    base = {"mode": "phone", "vas": "4", **odi_form(GOOD_ODI)}
    version = _saved_by_the_nurse(client, clinic, db, base)
    url = f"/followup/{clinic.due.id}/edit"
    assert 'value="4"' in client.get(url).get_data(as_text=True)
    no_reason = client.post(url, data={**base, "vas": "5", "version": version})
    assert no_reason.status_code == 422 and _scores(db, clinic.due.id)["vas"].value == 4
    fixed = client.post(url, data={**base, "vas": "5", "version": version,
                                   "reason": "Transcription error"})
    assert fixed.status_code == 302
    vas = _scores(db, clinic.due.id)["vas"]
    assert vas.value == 5
    event = db.exec(select(AuditEvent).where(AuditEvent.entity == "score",
                                             AuditEvent.entity_id == vas.id,
                                             AuditEvent.field == "value")).one()
    assert (event.old_value, event.new_value, event.reason) == ("4.0", "5.0",
                                                                "Transcription error")
    stale = client.post(url, data={**base, "vas": "6", "version": version, "reason": "again"})
    assert stale.status_code == 409 and _scores(db, clinic.due.id)["vas"].value == 5


def test_a_medication_recorded_at_the_visit_is_corrected_with_a_reason(client, clinic, db):
    """Found trying the screens as a new user would: a wrong analgesic dose typed at a
    visit could not be corrected, on any page or through the API."""
    from clinic.models import Medication

    base = {"mode": "phone", "vas": "4", **odi_form(GOOD_ODI)}
    version = _saved_by_the_nurse(client, clinic, db, {
        **base, "med.0.med_class": "opioid", "med.0.drug": "tramadol",
        "med.0.daily_dose_mg": "1000", "ome": "200",
        "doses_confirmed": "tramadol:1000"})  # confirmed
    url = f"/followup/{clinic.due.id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert 'name="med.0.drug"' in page and 'value="tramadol"' in page and 'value="1000"' in page
    assert 'name="med.1.drug"' in page  # room for one more
    row = {"med.0.med_class": "opioid", "med.0.drug": "tramadol", "med_rows": "2"}
    bad = client.post(url, data={**base, **row, "med.0.daily_dose_mg": "lots",
                                 "version": version, "reason": "Dose typed wrong"})
    assert bad.status_code == 422 and "Enter the daily dose in mg" in bad.get_data(as_text=True)
    fixed = client.post(url, data={**base, **row, "med.0.daily_dose_mg": "100", "ome": "20",
                                   "version": version, "reason": "Dose typed wrong"})
    assert fixed.status_code == 302, fixed.get_data(as_text=True)[:2000]
    [med] = db.exec(select(Medication).where(Medication.assessment_id == clinic.due.id)).all()
    assert med.daily_dose_mg == 100
    change = db.exec(select(AuditEvent).where(AuditEvent.entity == "medication",
                                              AuditEvent.field == "daily_dose_mg")).one()
    assert (change.old_value, change.new_value, change.reason) == ("1000.0", "100.0",
                                                                   "Dose typed wrong")
    version = db.get(Assessment, clinic.due.id).version
    removed = client.post(url, data={**base, "med_rows": "2", "version": version,
                                     "reason": "Not an analgesic of the patient"})
    assert removed.status_code == 302
    db.expire_all()
    assert db.exec(select(Medication).where(Medication.assessment_id == clinic.due.id)).all() == []
    assert db.exec(select(AuditEvent).where(AuditEvent.entity == "medication",
                                            AuditEvent.action == "delete")).one()


MEDS = {"ome": "30",  # the OME the tramadol gives (CDC 2022: 0.2 × 150)
        "med.0.med_class": "opioid", "med.0.drug": "tramadol", "med.0.daily_dose_mg": "150",
        "med.1.med_class": "nsaid", "med.1.drug": "ibuprofen", "med.1.daily_dose_mg": "1200",
        "med.2.med_class": "gabapentinoid", "med.2.drug": "pregabalin",
        "med.2.daily_dose_mg": "150"}


def _medication_rows(db, assessment_id):
    from clinic.models import Medication

    db.expire_all()
    return {m.drug: m for m in db.exec(select(Medication).where(
        Medication.assessment_id == assessment_id))}


def test_removing_one_medication_of_three_is_audited_as_that_one_removed(client, clinic,
                                                                         db):
    """Found trying the correction as a new user would: rows were matched by their place,
    so removing the first of three was audited as 'tramadol became ibuprofen, ibuprofen
    became pregabalin, pregabalin deleted'."""
    base = {"mode": "phone", "vas": "4", **odi_form(GOOD_ODI)}
    version = _saved_by_the_nurse(client, clinic, db, {**base, **MEDS})
    before = _medication_rows(db, clinic.due.id)
    assert set(before) == {"tramadol", "ibuprofen", "pregabalin"}
    ids = {drug: m.id for drug, m in before.items()}
    url = f"/followup/{clinic.due.id}/edit"
    kept = {k: v for k, v in MEDS.items()
            if not k.startswith("med.0.") and k != "ome"}  # row 0 emptied
    kept["med.2.daily_dose_mg"] = "300"  # and pregabalin's dose changed
    done = client.post(url, data={**base, **kept, "med_rows": "4", "version": version,
                                  "reason": "Tramadol stopped before the visit"})
    assert done.status_code == 302
    after = _medication_rows(db, clinic.due.id)
    assert {d: m.id for d, m in after.items()} == {"ibuprofen": ids["ibuprofen"],
                                                   "pregabalin": ids["pregabalin"]}
    assert after["pregabalin"].daily_dose_mg == 300
    events = db.exec(select(AuditEvent).where(AuditEvent.entity == "medication",
                                              AuditEvent.action != "create")).all()
    assert sorted((e.action, e.entity_id, e.field) for e in events) == sorted([
        ("delete", ids["tramadol"], None), ("update", ids["pregabalin"], "daily_dose_mg")])
    history = client.get(f"/patients/{clinic.patient.id}").get_data(as_text=True)
    assert "medication tramadol 150 mg/day" in html.unescape(history)


def test_a_drug_renamed_on_its_line_is_that_row_changed_not_deleted_and_added(client, clinic,
                                                                               db):
    """Found trying the correction as a new user would: a drug's name corrected on its
    line was audited as that row deleted and a new one created, and the row moved to the
    end of the list."""
    base = {"mode": "phone", "vas": "4", **odi_form(GOOD_ODI)}
    version = _saved_by_the_nurse(client, clinic, db, {**base, **MEDS})
    ids = {drug: m.id for drug, m in _medication_rows(db, clinic.due.id).items()}
    renamed = {**MEDS, "med.1.drug": "naproxen", "med.1.daily_dose_mg": "1000"}
    done = client.post(f"/followup/{clinic.due.id}/edit", data={
        **base, **renamed, "med_rows": "4", "version": version,
        "reason": "Naproxen, not ibuprofen (checked with the patient)"})
    assert done.status_code == 302
    after = _medication_rows(db, clinic.due.id)
    assert {d: m.id for d, m in after.items()} == {
        "tramadol": ids["tramadol"], "naproxen": ids["ibuprofen"], "pregabalin": ids["pregabalin"]}
    events = db.exec(select(AuditEvent).where(AuditEvent.entity == "medication",
                                              AuditEvent.action != "create")).all()
    assert sorted((e.action, e.entity_id, e.field, e.old_value, e.new_value) for e in events) == [
        ("update", ids["ibuprofen"], "daily_dose_mg", "1200.0", "1000.0"),
        ("update", ids["ibuprofen"], "drug", "ibuprofen", "naproxen")]


def test_a_medication_error_is_named_on_its_row_of_the_form(client, clinic, db):
    """Found trying the screens as a new user would: with the first row left empty, a bad
    dose in the second was marked under the first."""
    login(client, clinic.users["nurse"])
    page = client.post(f"/followup/{clinic.due.id}", data={
        "version": str(clinic.due.version), "mode": "phone", "vas": "4",
        "missing_reason": "not asked in this test", "med.1.med_class": "nsaid",
        "med.1.drug": "ibuprofen", "med.1.daily_dose_mg": "5OO"}).get_data(as_text=True)
    assert 'id="med-1-daily_dose_mg-error"' in page
    assert 'id="med-0-daily_dose_mg-error"' not in page


def test_a_second_tab_changing_a_medication_is_a_conflict_that_keeps_the_rows(client,
                                                                              clinic, db):
    """Found trying the correction as a new user would: the same nurse's second tab,
    changing another dose, was told "already saved with these values" (only the scores
    were compared) and lost; another user's conflict page showed the rows empty, and
    saving it deleted every medication."""
    base = {"mode": "phone", "vas": "4", **odi_form(GOOD_ODI)}
    version = _saved_by_the_nurse(client, clinic, db, {**base, **MEDS})
    url = f"/followup/{clinic.due.id}/edit"
    first = client.post(url, data={**base, **MEDS, "med.1.daily_dose_mg": "1000",
                                   "med_rows": "4", "version": version, "reason": "tab A"})
    assert first.status_code == 302
    second = client.post(url, data={**base, **MEDS, "med.2.daily_dose_mg": "300",
                                    "med_rows": "4", "version": version, "reason": "tab B"})
    page = html.unescape(second.get_data(as_text=True))
    assert second.status_code == 409 and "already saved" not in page
    assert "pregabalin 300 mg/day" in page  # what was typed, beside what is recorded
    assert 'name="med.1.daily_dose_mg"' in page and 'value="1000"' in page  # as recorded
    assert _medication_rows(db, clinic.due.id)["ibuprofen"].daily_dose_mg == 1000
    resent = client.post(url, data={**base, **MEDS, "med.1.daily_dose_mg": "1000",
                                    "med_rows": "4", "version": version, "reason": "tab A"})
    assert resent.status_code == 302  # the same values again: told it is saved


def test_the_filled_sheet_lists_the_analgesics(client, clinic, db):
    from tests.pdf import pdf_text

    base = {"mode": "phone", "vas": "4", **odi_form(GOOD_ODI)}
    _saved_by_the_nurse(client, clinic, db, {**base, **MEDS})
    text = pdf_text(client.get(f"/followup/{clinic.due.id}/sheet.pdf").data)
    assert "tramadol 150 mg/day (Opioid)" in " ".join(text.split())
    assert "Adverse event since the last visit: none recorded at this visit." in " ".join(
        text.split())


def test_the_filled_sheet_names_the_adverse_event_recorded_at_the_visit(client, clinic, db):
    """Found trying the screens as a new user would: the sheet of a visit that recorded
    a hematoma printed the blank line "Adverse event since the last visit: ____", read
    on the chart as none. A visit without one says so; a pending one keeps the line."""
    from tests.pdf import pdf_text

    def sheet() -> str:
        return " ".join(pdf_text(client.get(f"/followup/{clinic.due.id}/sheet.pdf").data)
                        .split())

    login(client, clinic.users["nurse"])
    assert "(type, onset, severity): ____" in sheet()
    base = {"mode": "phone", "vas": "4", **odi_form(GOOD_ODI),
            "ae.event_type": "hematoma", "ae.onset_on": ONSET, "ae.severity": "mild",
            "ae.is_related": "yes"}
    _saved_by_the_nurse(client, clinic, db, base)
    text = sheet()
    assert (f"Adverse event since the last visit: Hematoma, onset {ONSET}, Mild, related to "
            "the procedure." in text)
    assert "(type, onset, severity)" not in text


def test_an_edit_conflict_names_who_changed_the_visit_last(client, clinic, db):
    """Found testing as a new user would: the conflict named the nurse who first saved
    the visit, at noon of the visit's day, not the coordinator who had just corrected it."""
    base = {"mode": "phone", "vas": "4", **odi_form(GOOD_ODI)}
    version = _saved_by_the_nurse(client, clinic, db, base)
    coordinator = clinic.users["coordinator"]
    login(client, coordinator)
    url = f"/followup/{clinic.due.id}/edit"
    form = {**base, "vas": "5", "version": version, "reason": "Transcription error"}
    assert client.post(url, data=form).status_code == 302
    stale = client.post(url, data={**form, "vas": "6"})
    page = stale.get_data(as_text=True)
    assert stale.status_code == 409  # (the coordinator's own save, in another window)
    assert "You, in another window or tab, saved this follow-up" in page
    assert clinic.users["nurse"].name + " saved" not in page


def test_every_wrong_odi_section_is_named_at_once(client, clinic, db):
    """Found testing as a new user would: one wrong section was named per try."""
    login(client, clinic.users["nurse"])
    odi = odi_form([-1, "2.5", "\uff11", "abc", 9, 1, 2, 0, 2, 2])
    response = client.post(f"/followup/{clinic.due.id}", data={
        "mode": "phone", "vas": "4", "version": clinic.due.version, **odi})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    wrong = set(re.findall(r'id="(odi-[a-z_]+)-error"', page))
    assert len(wrong) == 5, wrong
    assert _scores(db, clinic.due.id) == {}


def test_the_date_the_mode_and_the_scores_are_named_in_one_round(client, clinic, db):
    """Found re-testing as a new user would: an unreadable date was named alone, then the
    missing mode, and the scores only on the third try."""
    login(client, clinic.users["nurse"])
    odi = odi_form([2, 1, 3, 2, 9, 2, 1, 0, 2, 2])
    response = client.post(f"/followup/{clinic.due.id}", data={
        "visit_on": "2026-02-29", "mode": "", "vas": "abc", "version": clinic.due.version,
        **odi})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    named = set(re.findall(r'id="([a-z_.-]+)-error"', page))
    assert {"visit_on", "mode", "vas", "odi-sitting"} <= named, named
    assert "2026-02-29 is no day of the calendar" in page
    db.expire_all()
    assert db.get(Assessment, clinic.due.id).state == "pending"
    assert _scores(db, clinic.due.id) == {}


def test_a_corrected_odi_section_shows_by_name_in_the_patient_history(client, clinic, db):
    base = {"mode": "in_clinic", "vas": "4", **odi_form(GOOD_ODI)}
    version = _saved_by_the_nurse(client, clinic, db, base)
    lifting_4 = odi_form([2, 1, 4, 2, 1, 2, 1, 0, 2, 2])
    fixed = client.post(f"/followup/{clinic.due.id}/edit",
                        data={**base, **lifting_4, "version": version,
                              "reason": "Lifting read as 3, sheet says 4"})
    assert fixed.status_code == 302
    assert _scores(db, clinic.due.id)["odi"].raw_sum == 17
    page = client.get(f"/patients/{clinic.patient.id}").get_data(as_text=True)
    assert "section 3 (Lifting): answer" in page
    # total, raw sum and the section: the score's history is open and counts them
    assert re.search(r"<details class=\"audit card\" open>\s*<summary>Oswestry Disability "
                     r"Index at [^<]*, 3 changes with a reason</summary>", page)
    assert "Lifting read as 3, sheet says 4" in page


def test_a_score_removed_by_a_correction_stays_in_the_patient_history(client, clinic, db):
    """Found trying the screens as a new user would: a VAS removed by a correction (with
    its reason) vanished from the patient's record history, its creation, old value and
    reason with it; only the coordinator's audit trail still had it."""
    base = {"mode": "in_clinic", "vas": "4", **odi_form(GOOD_ODI)}
    version = _saved_by_the_nurse(client, clinic, db, base)
    removed = client.post(f"/followup/{clinic.due.id}/edit", data={
        **base, "vas": "", "version": version, "reason": "patient did not answer it",
        "missing_reason": "patient declined the pain scale"})
    assert removed.status_code == 302, removed.get_data(as_text=True)[:3000]
    assert "vas" not in _scores(db, clinic.due.id)
    page = html.unescape(client.get(f"/patients/{clinic.patient.id}").get_data(as_text=True))
    section = page.split("Pain (VAS) at 1 month (removed)", 1)
    assert len(section) == 2, "no section for the removed score"
    shown = section[1].split("</details>", 1)[0]
    assert "patient did not answer it" in shown, shown[:2000]
    assert "whole record created: value 4" in shown and "whole record deleted: value 4" in shown


def test_a_number_typed_with_a_thousands_separator_is_refused_not_cut(client, clinic, db):
    """Found by fuzzing: "1,000" mg was stored as 1 and "1_0" as a VAS of 10."""
    login(client, clinic.users["nurse"])
    base = {"mode": "phone", "version": str(clinic.due.version),
            "missing_reason": "Patient declined the questionnaires"}
    for typed in ("1_0", "1e1", "５"):
        response = client.post(f"/followup/{clinic.due.id}", data=base | {"vas": typed})
        assert response.status_code == 422, typed
        assert 'id="vas-error"' in response.get_data(as_text=True)
    dose = client.post(f"/followup/{clinic.due.id}", data=base | {
        "vas": "4", "med.0.med_class": "opioid", "med.0.drug": "oxycodone",
        "med.0.daily_dose_mg": "1,000"})
    assert dose.status_code == 422
    assert 'id="med-0-daily_dose_mg-error"' in dose.get_data(as_text=True)
    assert _scores(db, clinic.due.id) == {}


def test_a_correction_keeps_the_reason_for_a_missing_outcome_true(client, clinic, db):
    """Found trying the screens as a new user would: a correction that added the missing
    outcomes left "not collected" on the visit, and one that removed the VAS asked no
    reason (entry does)."""
    login(client, clinic.users["nurse"])
    first = client.post(f"/followup/{clinic.due.id}", data={
        "mode": "phone", "vas": "4", "version": clinic.due.version,
        "missing_reason": "Patient declined the questionnaires"})
    assert first.status_code == 302
    db.expire_all()
    visit = db.get(Assessment, clinic.due.id)
    assert visit.missing_reason == "Patient declined the questionnaires"
    url = f"/followup/{clinic.due.id}/edit"
    complete = {"mode": "phone", "vas": "4", **odi_form(GOOD_ODI),
                "satisfaction_results": "satisfied", "reason": "Sheet found"}
    assert client.post(url, data=complete | {"version": visit.version}).status_code == 302
    db.expire_all()
    visit = db.get(Assessment, clinic.due.id)
    assert visit.missing_reason is None, "every outcome is there now"
    no_vas = complete | {"vas": "", "version": visit.version, "reason": "VAS was not asked"}
    refused = client.post(url, data=no_vas)
    assert refused.status_code == 422
    assert 'id="missing_reason-error"' in refused.get_data(as_text=True)
    assert _scores(db, clinic.due.id)["vas"].value == 4
    kept = client.post(url, data=no_vas | {"missing_reason": "Patient could not rate pain"})
    assert kept.status_code == 302 and "vas" not in _scores(db, clinic.due.id)
    assert db.get(Assessment, clinic.due.id).missing_reason == "Patient could not rate pain"


def _week_1_long_ago(db, clinic, app) -> Assessment:
    """The 1-week visit of a patient treated 95 days ago (its window closed months ago)."""
    today = today_in(app)
    patient, _ = make_patient(db, clinic.study, site=clinic.north,
                              enrolled_on=today - timedelta(days=100))
    make_procedure(db, patient, when=datetime.combine(today - timedelta(days=95), time(10),
                                                      tzinfo=ZoneInfo(app.config["TIMEZONE"])))
    db.commit()
    return db.exec(select(Assessment).join(StudyTimepoint).where(
        Assessment.patient_id == patient.id, StudyTimepoint.code == "week_1")).one()


def _week_1_form(visit: Assessment) -> dict[str, str]:
    """The 1-week visit's form: VAS and satisfaction with the procedure (the ODI is not
    asked then: a value typed for it would be refused, not dropped)."""
    return {"mode": "phone", "vas": "3", "version": str(visit.version),
            "satisfaction_procedure": "satisfied"}


def test_a_date_far_outside_the_window_is_confirmed_before_it_is_kept(client, clinic, db, app):
    """The form starts on today's date: a paper sheet of a visit two months ago typed in
    today would be kept as today's visit, far after its window. A month or more outside
    asks 'the date is right' first; confirmed, it is kept and counted as a deviation."""
    week_1 = _week_1_long_ago(db, clinic, app)
    login(client, clinic.users["nurse"])
    slipped = client.post(f"/followup/{week_1.id}", data=_week_1_form(week_1))  # date: today
    page = html.unescape(slipped.get_data(as_text=True))
    assert slipped.status_code == 422, page[:1500]
    assert f"{today_in(app)} is " in page and "days after the visit's window" in page
    assert 'name="date_confirmed"' in page and _scores(db, week_1.id) == {}
    assert "correct what is wrong, or confirm what is right where asked" in page
    near = week_1.window_close + timedelta(days=FAR_OUTSIDE_DAYS - 1)
    assert client.post(f"/followup/{week_1.id}", data=_week_1_form(week_1) | {
        "visit_on": str(near)}).status_code == 302, "under a month late: kept, flagged"
    db.expire_all()
    assert db.get(Assessment, week_1.id).visit_on == near
    from clinic.models import DataQuery
    query = db.exec(select(DataQuery).where(DataQuery.assessment_id == week_1.id)).one()
    assert (query.rule, query.status) == ("out_of_window", "open"), "not confirmed: asked"


def test_a_confirmed_far_date_is_kept(client, clinic, db, app):
    """Found trying the screens as a new user would: the date the nurse had just
    confirmed ('The date is right') was queried at once, 'please confirm the date'. The
    query is raised, for the monitor, and answered with her confirmation; a date kept
    without being asked about (under a month late) is queried, open, as before."""
    from clinic.models import DataQuery, DataQueryStep

    week_1 = _week_1_long_ago(db, clinic, app)
    login(client, clinic.users["nurse"])
    confirmed = client.post(f"/followup/{week_1.id}", follow_redirects=True,
                            data=_week_1_form(week_1) | {"date_confirmed": "yes"})
    assert confirmed.status_code == 200
    assert "Raised automatically" not in confirmed.get_data(as_text=True), "nothing to answer"
    db.expire_all()
    assert db.get(Assessment, week_1.id).visit_on == today_in(app)
    query = db.exec(select(DataQuery).where(DataQuery.assessment_id == week_1.id)).one()
    assert (query.rule, query.status) == ("out_of_window", "answered")
    steps = db.exec(select(DataQueryStep).where(DataQueryStep.query_id == query.id)
                    .order_by(DataQueryStep.id)).all()
    assert [(s.step, s.user_id) for s in steps] == [
        ("raised", None), ("answered", clinic.users["nurse"].id)]
    assert steps[1].text.startswith("Confirmed at entry: 'The date is right' was ticked")
    saved = db.exec(select(AuditEvent).where(AuditEvent.entity == "assessment",
                                             AuditEvent.entity_id == week_1.id,
                                             AuditEvent.action == "update")).first()
    assert saved is not None and "Data query" not in (saved.reason or ""), \
        "the save's own audit keeps its reason"


def test_a_visit_before_its_window_opens_is_confirmed_before_it_is_kept(client, clinic, db,
                                                                         app):
    """Found testing as a new user would: a 2-week visit dated the day after the
    procedure was saved, and only then said to be early; its scores went into the 2-week
    cell of the report."""
    week_1 = _week_1_long_ago(db, clinic, app)
    early = week_1.window_open - timedelta(days=2)
    login(client, clinic.users["nurse"])
    asked = client.post(f"/followup/{week_1.id}", data=_week_1_form(week_1) | {
        "visit_on": str(early)})
    page = html.unescape(asked.get_data(as_text=True))
    assert asked.status_code == 422 and _scores(db, week_1.id) == {}
    assert f"{early} is 2 days before this visit's window opens" in page
    assert "that this is the right visit" in page
    confirmed = client.post(f"/followup/{week_1.id}", data=_week_1_form(week_1) | {
        "visit_on": str(early), "date_confirmed": "yes"})
    assert confirmed.status_code == 302
    db.expire_all()
    assert db.get(Assessment, week_1.id).visit_on == early


def test_the_visit_date_is_corrected_with_a_reason_and_checked_as_at_entry(client, clinic,
                                                                           db, app):
    """Found testing as a new user would: a mistyped visit date could not be corrected
    anywhere, so it stayed a window deviation in the report for good."""
    base = {"mode": "phone", "vas": "4", **odi_form(GOOD_ODI)}
    version = _saved_by_the_nurse(client, clinic, db, base)
    url = f"/followup/{clinic.due.id}/edit"
    today = today_in(app)
    assert f'value="{today.isoformat()}"' in client.get(url).get_data(as_text=True)
    form = {**base, "version": version, "reason": "Typed the wrong day"}
    for day, words in (((today + timedelta(days=1)).isoformat(), "cannot be in the future"),
                       ((today - timedelta(days=31)).isoformat(), "before the procedure"),
                       ("2026-02-30", "no day of the calendar")):
        refused = client.post(url, data={**form, "visit_on": day, "vas": "11"})
        page = refused.get_data(as_text=True)
        assert refused.status_code == 422 and words in page, day
        assert "0 to 10" in page, "the score's error in the same round"
    day = today - timedelta(days=3)
    assert client.post(url, data={**form, "visit_on": day.isoformat()}).status_code == 302
    db.expire_all()
    visit = db.get(Assessment, clinic.due.id)
    zone = ZoneInfo(app.config["TIMEZONE"])
    noon = datetime.combine(day, time(12), tzinfo=zone)
    assert visit.visit_on == day and visit.version == version + 1
    assert _aware(visit.completed_at) == noon
    assert {_aware(s.collected_at) for s in _scores(db, visit.id).values()} == {noon}
    event = db.exec(select(AuditEvent).where(AuditEvent.entity == "assessment",
                                             AuditEvent.entity_id == visit.id,
                                             AuditEvent.field == "visit_on")).all()[-1]
    assert (event.new_value, event.reason) == (day.isoformat(), "Typed the wrong day")


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def test_a_satisfaction_reads_as_its_level_not_a_bare_number(client, clinic, db):
    """Found testing as a new user would: 'Saved …: Satisfaction with the results 4' and
    a bare 3 in the visit's Recorded table."""
    from clinic.followup.service import measures_at

    asked = [m for m in measures_at(db, db.get(Assessment, clinic.due.id))
             if m.startswith("satisfaction")]
    assert asked, "the due visit asks a satisfaction"
    form = {"mode": "phone", "vas": "4", **odi_form(GOOD_ODI),
            **{code: "satisfied" for code in asked}, "missing_reason": ""}
    _saved_by_the_nurse(client, clinic, db, form)
    home = client.get("/").get_data(as_text=True)
    assert "3 (Satisfied)" in home and "32 %" in home
    recorded = client.get(f"/followup/{clinic.due.id}/edit").get_data(as_text=True)
    assert 'class="num">3 (Satisfied)' in recorded


def test_a_stale_correction_shows_what_was_typed_and_a_resent_one_is_saved(client, clinic,
                                                                           db, app):
    """Found attacking the date correction: a correction refused as stale showed nothing
    of what was typed (the date and reason came back empty), and the same nurse's double
    click was told someone (she) had saved in between."""
    base = {"mode": "phone", "vas": "4", **odi_form(GOOD_ODI)}
    version = _saved_by_the_nurse(client, clinic, db, base)
    url = f"/followup/{clinic.due.id}/edit"
    day = (today_in(app) - timedelta(days=2)).isoformat()
    form = {**base, "vas": "5", "version": version, "visit_on": day, "reason": "misread"}
    assert client.post(url, data=form).status_code == 302
    again = client.post(url, data=form)  # the same nurse, the same values: a double click
    assert again.status_code == 302
    assert "already saved with these values" in client.get("/").get_data(as_text=True)
    coordinator = app.test_client()
    login(coordinator, clinic.users["coordinator"])
    stale = coordinator.post(url, data={**form, "vas": "6", "visit_on": today_in(app)
                                        .isoformat(), "missing_reason": "no time",
                                        "satisfaction_results": "very_satisfied"})
    page = stale.get_data(as_text=True)
    assert stale.status_code == 409 and 'id="typed-values"' in page
    assert f"<dt>Date of the visit</dt><dd>{today_in(app).isoformat()}</dd>" in page
    assert "<dd>6</dd>" in page and "<dd>no time</dd>" in page
    # in words, not codes: found trying the screens as a new user would
    assert "<dd>Very satisfied</dd>" in page and "very_satisfied</dd>" not in page
    assert "<dd>pain intensity 2; personal care 1; lifting 3;" in page
    assert f'name="visit_on" value="{day}"' in page, "the form shows what is recorded"


def test_an_onset_that_is_no_day_is_named_as_such(client, clinic, db):
    """Found testing as a new user would: an onset of 2026-02-30 read 'Enter the date
    the event began', as if none had been typed."""
    login(client, clinic.users["nurse"])
    form = {"mode": "phone", "vas": "4", "version": str(clinic.due.version),
            "ae.event_type": "vasovagal", "ae.onset_on": "2026-02-30"}
    page = client.post(f"/followup/{clinic.due.id}", data=form).get_data(as_text=True)
    assert "2026-02-30 is no day of the calendar" in page
    blank = client.post(f"/followup/{clinic.due.id}", data={**form, "ae.onset_on": ""})
    assert "Enter the date the event began." in blank.get_data(as_text=True)


def test_a_visit_day_corrected_outside_its_window_is_said_with_its_new_query(client, clinic,
                                                                            db):
    """Found trying the screens as a new user would: entry says a visit is early or late
    for its window, a correction to such a day said only 'corrected' while it raised a
    data query on it. Confirmed ("The date is right"), that query is raised answered with
    the confirmation, as at entry (it was left open, asking again)."""
    base = {"mode": "phone", "vas": "4", **odi_form(GOOD_ODI)}
    version = _saved_by_the_nurse(client, clinic, db, base)
    early = clinic.due.window_open - timedelta(days=1)
    form = {**base, "version": version, "reason": "Typed the wrong day",
            "visit_on": early.isoformat()}
    # found trying the screens as a new user would: a correction to a day before the
    # window was kept at once, where entry asks to confirm that day first
    asked = client.post(f"/followup/{clinic.due.id}/edit", data=form)
    page = html.unescape(asked.get_data(as_text=True))
    assert asked.status_code == 422 and 'id="date_confirmed-error"' in page
    assert "1 day before this visit's window opens" in page and 'name="date_confirmed"' in page
    db.expire_all()
    assert db.get(Assessment, clinic.due.id).version == version
    response = client.post(f"/followup/{clinic.due.id}/edit", follow_redirects=True,
                           data={**form, "date_confirmed": "yes"})
    page = html.unescape(response.get_data(as_text=True))
    assert "follow-up corrected" in page
    assert "The visit was 1 day early for its window" in page
    [query] = db.exec(select(DataQuery).where(DataQuery.assessment_id == clinic.due.id)).all()
    assert (query.rule, query.status) == ("out_of_window", "answered"), \
        "raised on the new day, answered with the confirmation the correction asked for"
    assert "Raised automatically" not in page, "nothing left for the nurse to answer"
    again = client.post(f"/followup/{clinic.due.id}/edit", follow_redirects=True, data={
        **base, "version": version + 1, "reason": "Scores re-read", "vas": "5",
        "visit_on": early.isoformat()})
    later = html.unescape(again.get_data(as_text=True))
    assert "follow-up corrected" in later and "early for its window" not in later, \
        "said when the day moves, not at every correction"
    assert "raised automatically" not in later


def test_a_visit_of_an_earlier_day_shows_its_day_not_an_invented_noon(client, clinic, db,
                                                                       app):
    """Found trying the screens as a new user would: 'Collected: Phone, … 12:00 UTC' for
    a visit of which only the day was given."""
    base = {"mode": "phone", "vas": "4", **odi_form(GOOD_ODI)}
    version = _saved_by_the_nurse(client, clinic, db, base)
    url = f"/followup/{clinic.due.id}/edit"
    today_page = client.get(url).get_data(as_text=True)
    assert "(day only)" not in today_page, "today's visit keeps the time it was entered"
    day = today_in(app) - timedelta(days=2)
    client.post(url, data={**base, "version": version, "reason": "Typed the wrong day",
                           "visit_on": day.isoformat()})
    page = client.get(url).get_data(as_text=True)
    assert f"Phone, {day.isoformat()} (day only)" in page and "12:00" not in page


def test_the_correction_page_of_a_visit_not_recorded_leads_to_its_entry(client, clinic):
    """Found re-checking the screens: it said 'This follow-up was marked not done: None'
    and offered to reopen a visit never recorded."""
    login(client, clinic.users["nurse"])
    response = client.get(f"/followup/{clinic.due.id}/edit")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/followup/{clinic.due.id}")


def test_a_conflict_with_a_reopened_visit_says_it_was_reopened_not_saved(client, clinic,
                                                                         db):
    """A visit marked not done and reopened by a coordinator is pending again: the nurse
    whose form went stale read '<coordinator> saved this follow-up'."""
    version = clinic.due.version
    coordinator = clinic.users["coordinator"]
    login(client, coordinator)
    assert client.post(f"/followup/{clinic.due.id}/not-done", data={
        "not_done_reason": "No answer", "version": version}).status_code == 302
    db.expire_all()
    visit = db.get(Assessment, clinic.due.id)
    assert client.post(f"/followup/{visit.id}/reopen", data={
        "version": visit.version, "reason": "Patient called back"}).status_code == 302
    login(client, clinic.users["nurse"])
    stale = client.post(f"/followup/{clinic.due.id}", data={
        "mode": "phone", "vas": "4", "version": version, **odi_form(GOOD_ODI),
        "satisfaction_results": "satisfied"})
    page = stale.get_data(as_text=True)
    assert stale.status_code == 409
    assert f"{coordinator.name} reopened this follow-up" in page
    assert "saved this follow-up" not in page


def test_the_baseline_is_called_a_visit_not_a_follow_up(client, clinic, db):
    """Found testing as a new user would: the baseline's page read 'Baseline follow-up'."""
    baseline = db.exec(select(Assessment).join(StudyTimepoint).where(
        Assessment.patient_id == clinic.patient.id, StudyTimepoint.is_baseline)).one()
    login(client, clinic.users["nurse"])
    page = client.get(f"/followup/{baseline.id}", follow_redirects=True).get_data(as_text=True)
    assert "· Baseline visit</h1>" in page and "Baseline follow-up" not in page
    due = client.get(f"/followup/{clinic.due.id}").get_data(as_text=True)
    assert " follow-up</h1>" in due


def test_an_onset_in_the_future_reads_as_on_the_adverse_events_own_form(client, clinic, app):
    """Found trying the screens as a new user would: the visit form's onset was a text box
    saying 'cannot be in the future', the event's own form a date picker saying 'That
    date is in the future'; both are date pickers with the same words now."""
    login(client, clinic.users["nurse"])
    tomorrow = today_in(app) + timedelta(days=1)
    form = {"mode": "phone", "vas": "4", "version": str(clinic.due.version),
            "ae.event_type": "vasovagal", "ae.severity": "mild", "ae.is_related": "no",
            "ae.onset_on": tomorrow.isoformat()}
    page = client.post(f"/followup/{clinic.due.id}", data=form).get_data(as_text=True)
    assert "That date is in the future: record what has happened." in page
    assert re.search(r'<input type="date" id="ae-onset_on" name="ae.onset_on" value="'
                     + tomorrow.isoformat() + r'" max="' + today_in(app).isoformat(), page)


def test_the_visit_form_names_the_patient_to_a_role_that_sees_identities(client, clinic, db):
    """Found trying the screens as a new user would: the entry page named only the study
    code; the nurse on the phone checks who answers against the name."""
    from clinic.models import PatientIdentity

    name = db.exec(select(PatientIdentity.name).where(
        PatientIdentity.patient_id == clinic.patient.id)).one()
    login(client, clinic.users["nurse"])
    page = client.get(f"/followup/{clinic.due.id}").get_data(as_text=True)
    assert f'<p class="patient-name">Patient: <strong>{html.escape(name)}</strong></p>' in page


def _confirm_box(page: str) -> str | None:
    """The value of "The doses are right" as the page offers it (what a tick sends)."""
    found = re.search(r'name="doses_confirmed" value="([^"]*)"', page)
    return found.group(1) if found else None


def test_a_dose_above_the_labelled_maximum_is_confirmed_before_it_is_kept(client, clinic, db):
    """Found trying the screens as a new user would: tramadol 4000 mg/day (a zero too
    many: the label's maximum is 400) was stored without a word."""
    login(client, clinic.users["nurse"])
    form = {"version": str(clinic.due.version), "mode": "phone", "vas": "4",
            **odi_form(GOOD_ODI), "missing_reason": "not asked in this test",
            **MEDS, "med.0.daily_dose_mg": "4000"}
    refused = client.post(f"/followup/{clinic.due.id}", data=form)
    page = html.unescape(refused.get_data(as_text=True))
    assert refused.status_code == 422
    assert "Tramadol 4000 mg/day, above its labelled maximum (400 mg/day)" in page
    assert 'id="med-0-daily_dose_mg-error"' in page and 'id="med-1-daily_dose_mg-error"' \
        not in page  # ibuprofen 1200 is within its label
    assert _confirm_box(page) == "tramadol:4000" and 'tick "The doses are right"' in page
    assert ("Nothing was saved: please check the 2 fields marked below: correct what is "
            "wrong, or confirm what is right where asked.") in page  # not "correct" alone
    assert _medication_rows(db, clinic.due.id) == {} and not _scores(db, clinic.due.id)
    kept = client.post(f"/followup/{clinic.due.id}",
                       data={**form, "doses_confirmed": "tramadol:4000"})
    assert kept.status_code == 302
    assert _medication_rows(db, clinic.due.id)["tramadol"].daily_dose_mg == 4000
    event = db.exec(select(AuditEvent).where(AuditEvent.entity == "medication")).first()
    assert event.reason == ("Confirmed before saving: tramadol 4000 mg/day, above its "
                            "labelled maximum (400 mg/day)")  # the audit says what was
    version = db.get(Assessment, clinic.due.id).version
    base = {"mode": "phone", "vas": "5", **odi_form(GOOD_ODI), "med_rows": "4",
            "version": version}
    again = client.post(f"/followup/{clinic.due.id}/edit", data={
        **base, **MEDS, "med.0.daily_dose_mg": "4000", "reason": "VAS misread"})
    assert again.status_code == 302  # kept as confirmed at entry: not asked again
    version = db.get(Assessment, clinic.due.id).version
    changed = client.post(f"/followup/{clinic.due.id}/edit", data={
        **base, "version": version, **MEDS, "med.2.daily_dose_mg": "6000",
        "reason": "pregabalin dose"})
    assert changed.status_code == 422
    assert "Pregabalin 6000 mg/day, above its labelled maximum (600 mg/day)" in \
        html.unescape(changed.get_data(as_text=True))
    assert _medication_rows(db, clinic.due.id)["pregabalin"].daily_dose_mg == 150


def test_a_long_reason_and_the_doses_confirmed_with_it_are_kept_whole_in_the_audit(client,
                                                                                    clinic, db):
    """The audit's reason column held 500 characters: a correction's reason near that
    length, with the doses confirmed beside it, lost the confirmation's words."""
    base = {"mode": "phone", "vas": "4", **odi_form(GOOD_ODI)}
    version = _saved_by_the_nurse(client, clinic, db, {**base, **MEDS})
    reason = ("The patient read the doses from the boxes on a second call: " * 8).strip()
    assert 450 < len(reason) <= 500
    done = client.post(f"/followup/{clinic.due.id}/edit", data={
        **base, **MEDS, "med.0.daily_dose_mg": "4000", "ome": "800", "med_rows": "4",
        "version": version, "doses_confirmed": "tramadol:4000", "reason": reason})
    assert done.status_code == 302, done.get_data(as_text=True)[:2000]
    change = db.exec(select(AuditEvent).where(AuditEvent.entity == "medication",
                                              AuditEvent.action == "update")).one()
    assert change.reason == (f"{reason}. Confirmed before saving: tramadol 4000 mg/day, above "
                             "its labelled maximum (400 mg/day)")


def test_a_tick_confirms_the_doses_it_was_shown_for_not_a_dose_changed_after(client,
                                                                            clinic, db):
    """Found trying the screens as a new user would: ticked for tramadol 500, the box
    stayed ticked while another field was refused, and tramadol changed to 800 was saved
    without ever being shown as above the label."""
    login(client, clinic.users["nurse"])
    form = {"version": str(clinic.due.version), "mode": "phone", "vas": "11",
            **odi_form(GOOD_ODI), "missing_reason": "not asked in this test",
            "med.0.med_class": "opioid", "med.0.drug": "tramadol",
            "med.0.daily_dose_mg": "500", "ome": "100"}
    first = html.unescape(client.post(f"/followup/{clinic.due.id}", data=form)
                          .get_data(as_text=True))
    ticked = {**form, "doses_confirmed": _confirm_box(first)}
    second = client.post(f"/followup/{clinic.due.id}", data=ticked)  # the VAS still 11
    page = html.unescape(second.get_data(as_text=True))
    assert second.status_code == 422 and "Tramadol 500 mg/day" not in page
    assert re.search(r'value="tramadol:500" class="checkbox" checked', page)  # still ticked
    third = client.post(f"/followup/{clinic.due.id}", data={
        **ticked, "vas": "4", "med.0.daily_dose_mg": "800", "ome": "160"})
    page = html.unescape(third.get_data(as_text=True))
    assert third.status_code == 422 and "Tramadol 800 mg/day, above its labelled" in page
    assert _confirm_box(page) == "tramadol:800" and not re.search(
        r'value="tramadol:800" class="checkbox" checked', page)  # to be ticked again
    assert _medication_rows(db, clinic.due.id) == {}


def test_doses_of_one_drug_in_several_rows_or_by_its_brand_are_added_up(client, clinic, db):
    """Found trying the screens as a new user would: tramadol 300 in two rows (600 a day)
    and Lyrica 900 were kept without a word."""
    login(client, clinic.users["nurse"])
    page = html.unescape(client.post(f"/followup/{clinic.due.id}", data={
        "version": str(clinic.due.version), "mode": "phone", "vas": "4",
        "missing_reason": "not asked in this test",
        "med.0.med_class": "opioid", "med.0.drug": "tramadol", "med.0.daily_dose_mg": "300",
        "med.1.med_class": "opioid", "med.1.drug": "ER Tramadol", "med.1.daily_dose_mg": "300",
        "med.2.med_class": "gabapentinoid", "med.2.drug": "Lyrica",
        "med.2.daily_dose_mg": "900"}).get_data(as_text=True))
    assert "Tramadol 600 mg/day in 2 rows, above its labelled maximum (400 mg/day)" in page
    assert 'id="med-0-daily_dose_mg-error"' in page and 'id="med-1-daily_dose_mg-error"' in page
    assert "Pregabalin 900 mg/day, above its labelled maximum (600 mg/day)" in page
    assert _confirm_box(page) == "tramadol:600 pregabalin:900"


def test_an_ambiguous_number_on_the_follow_up_says_why(client, clinic, db):
    """Found trying the screens as a new user would: "1.200" read "Enter a number (got
    '1.200')" and a dose "1,000" "digits only", though decimal commas are taken."""
    login(client, clinic.users["nurse"])
    page = html.unescape(client.post(f"/followup/{clinic.due.id}", data={
        "version": str(clinic.due.version), "mode": "phone", "vas": "4", "ome": "1.200",
        "missing_reason": "not asked in this test", "med.0.med_class": "nsaid",
        "med.0.drug": "ibuprofen", "med.0.daily_dose_mg": "1,000"}).get_data(as_text=True))
    assert page.count("no thousands separator (1200, not 1.200 or 1,200)") == 2
    assert "digits only" not in page and not _scores(db, clinic.due.id)


def test_a_drug_names_case_corrected_is_kept_and_audited(client, clinic, db):
    """Found trying the correction as a new user would: 'tramadol' corrected to
    'Tramadol' was saved as no change, the old name kept."""
    base = {"mode": "phone", "vas": "4", **odi_form(GOOD_ODI)}
    version = _saved_by_the_nurse(client, clinic, db, {**base, **MEDS})
    ids = {drug: m.id for drug, m in _medication_rows(db, clinic.due.id).items()}
    done = client.post(f"/followup/{clinic.due.id}/edit", data={
        **base, **MEDS, "med.0.drug": "Tramadol", "med_rows": "4", "version": version,
        "reason": "Name as on the box"})
    assert done.status_code == 302, done.get_data(as_text=True)[:2000]
    after = _medication_rows(db, clinic.due.id)
    assert after["Tramadol"].id == ids["tramadol"] and "tramadol" not in after
    change = db.exec(select(AuditEvent).where(AuditEvent.entity == "medication",
                                              AuditEvent.field == "drug")).one()
    assert (change.old_value, change.new_value) == ("tramadol", "Tramadol")


def test_a_quantity_reads_with_its_unit():
    """Found trying the entry as a new user would: the saved message read 'Opioids (oral
    morphine equivalents) 160', with no unit."""
    from clinic.web.filters import score_shown

    assert score_shown("ome", 160.0) == "160 mg/day"
    assert score_shown("gabapentin", 900.0) == "900 mg/day"
    assert score_shown("nsaid_reduction", 50.0) == "50 %"
    assert score_shown("odi", 32.0) == "32 %" and score_shown("vas", 4.0) == "4"


def test_a_known_drug_without_its_class_is_saved_in_its_class(client, clinic, db):
    """Found trying the entry as a new user would: 'pregabalin' with no class chosen was
    refused with "Choose the class", for a drug whose class the app knows."""
    base = {"mode": "phone", "vas": "4", **odi_form(GOOD_ODI)}
    _saved_by_the_nurse(client, clinic, db, {
        **base, "med.0.drug": "pregabalin", "med.0.daily_dose_mg": "150",
        "med.1.drug": "Kadian", "med.1.daily_dose_mg": "30", "ome": "30"})
    rows = _medication_rows(db, clinic.due.id)
    assert (rows["pregabalin"].med_class, rows["Kadian"].med_class) == ("gabapentinoid",
                                                                        "opioid")


def test_a_correction_from_an_ome_query_says_what_its_rule_still_finds(client, clinic, db):
    """Found trying the screens as a new user would: the opioids corrected from the OME
    query's page (still apart from the OME) answered 'Query #5 asks about Opioids (oral
    morphine equivalents), which this correction did not change', though the list it
    asks about had changed."""
    from clinic.models import DataQuery

    base = {"mode": "phone", "vas": "4", "ome": "30", **odi_form(GOOD_ODI),
            "med.0.med_class": "opioid", "med.0.drug": "oxycodone", "med_rows": "2"}
    version = _saved_by_the_nurse(client, clinic, db, {**base, "med.0.daily_dose_mg": "40"})
    query = db.exec(select(DataQuery).where(DataQuery.rule == "ome_mismatch")).one()
    corrected = client.post(f"/followup/{clinic.due.id}/edit", data={
        **base, "med.0.daily_dose_mg": "30", "version": version, "query": str(query.id),
        "reason": "oxycodone is 30 mg"}, follow_redirects=True)
    page = html.unescape(corrected.get_data(as_text=True))
    assert corrected.request.path == f"/queries/{query.id}"  # back on the query's page
    assert f"Query #{query.id} stays open: its rule still finds this." in page
    assert "(oxycodone 30 mg/day) give 45 mg/day" in page
    assert "which this correction did not change" not in page


@pytest.mark.parametrize(("drug", "told"), [("kratom", True), ("buprenorphine", True),
                                            ("oxycodone", False)])
def test_an_ome_beside_an_opioid_without_a_factor_says_it_was_not_checked(
        client, clinic, db, drug, told):
    """An OME beside an opioid the OME table cannot convert was left unchecked without a
    word (the automatic query cannot compare them)."""
    login(client, clinic.users["nurse"])
    saved = client.post(f"/followup/{clinic.due.id}", follow_redirects=True, data={
        "mode": "phone", "vas": "4", "ome": "30", **odi_form(GOOD_ODI),
        "version": str(clinic.due.version), "med_rows": "2", "med.0.med_class": "opioid",
        "med.0.drug": drug, "med.0.daily_dose_mg": "20",
        "missing_reason": "not asked in this test"})
    page = html.unescape(saved.get_data(as_text=True))
    assert f"Saved {clinic.patient.study_code}" in page
    notice = f"The OME was not checked against the opioids listed: no oral morphine factor " \
             f"for {drug}"
    assert (notice in page) is told


def test_a_value_typed_for_an_outcome_no_longer_collected_is_not_dropped_silently(
        client, clinic, db):
    """Found trying a protocol amendment as a new user would: a form opened before the
    amendment that took an outcome out of this visit still carried what was typed for
    it, and the save dropped it without a word. The save is refused, naming the outcome,
    and the form comes back as the protocol now asks; saved again, it is stored."""
    login(client, clinic.users["nurse"])
    form = {"mode": "in_clinic", "vas": "4", "version": str(clinic.due.version),
            "satisfaction_results": "satisfied", **odi_form(GOOD_ODI),
            "satisfaction_procedure": "satisfied", "nrs": "7", "ndi.sleeping": " "}
    response = client.post(f"/followup/{clinic.due.id}", data=form)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert ("Pain (NRS), Satisfaction with the procedure are no longer collected at this "
            "visit") in page  # (an NDI section left blank is nothing typed)
    assert 'name="nrs"' not in page and 'value="4"' in page  # the form as it is asked now
    assert _scores(db, clinic.due.id) == {}
    assert db.get(Assessment, clinic.due.id).state == "pending"
    for dropped in ("satisfaction_procedure", "nrs", "ndi.sleeping"):
        del form[dropped]
    assert client.post(f"/followup/{clinic.due.id}", data=form).status_code == 302
    assert set(_scores(db, clinic.due.id)) >= {"vas", "odi", "satisfaction_results"}


def test_a_questionnaire_answered_in_part_is_called_not_complete_not_missing(client, clinic, db):
    """Found trying the screens as a new user would: eight of ten ODI sections typed, the
    save said 'Not collected: Oswestry Disability Index'. It now says what keeps the
    questionnaire from a score, at entry and in a correction."""
    login(client, clinic.users["nurse"])
    eight = odi_form([2, 1, 3, 2, 1, 2, 1, 0, "", ""])
    entry = {"mode": "phone", "vas": "4", "satisfaction_results": "satisfied", **eight,
             "version": clinic.due.version}
    refused = client.post(f"/followup/{clinic.due.id}", data=entry)
    assert refused.status_code == 422
    text = html.unescape(refused.get_data(as_text=True))
    assert ("Not complete: Oswestry Disability Index, 2 of 10 sections unanswered "
            "(social life, travelling); at most 1 may be missing") in text
    assert "Not collected" not in text
    kept = client.post(f"/followup/{clinic.due.id}",
                       data=entry | {"missing_reason": "Patient stopped after eight sections"})
    assert kept.status_code == 302
    db.expire_all()
    visit = db.get(Assessment, clinic.due.id)
    fixed = client.post(f"/followup/{clinic.due.id}/edit", data={
        "mode": "phone", "vas": "4", "satisfaction_results": "satisfied",
        **odi_form(GOOD_ODI), "reason": "Sheet found", "version": visit.version})
    assert fixed.status_code == 302
    db.expire_all()
    visit = db.get(Assessment, clinic.due.id)
    corrected = client.post(f"/followup/{clinic.due.id}/edit", data={
        "mode": "phone", "vas": "4", "satisfaction_results": "satisfied", **eight,
        "reason": "Two sections were misread", "version": visit.version})
    assert corrected.status_code == 422
    assert ("Not complete: Oswestry Disability Index, 2 of 10 sections unanswered"
            in html.unescape(corrected.get_data(as_text=True)))


def test_a_class_the_drugs_name_contradicts_is_refused_on_its_row(client, clinic, db):
    """Found trying the screens as a new user would: pregabalin was kept as an NSAID (the
    report counts analgesic use by class). A combination is either of its classes."""
    login(client, clinic.users["nurse"])
    form = {"version": str(clinic.due.version), "mode": "phone", "vas": "4",
            "missing_reason": "not asked in this test", "med_rows": "2",
            "med.0.med_class": "opioid", "med.0.drug": "ibuprofen/codeine",
            "med.0.daily_dose_mg": "60", "ome": "9", "med.1.med_class": "nsaid",
            "med.1.drug": "Pregabalin", "med.1.daily_dose_mg": "150"}
    refused = client.post(f"/followup/{clinic.due.id}", data=form)
    assert refused.status_code == 422
    page = html.unescape(refused.get_data(as_text=True))
    assert 'id="med-1-med_class-error"' in page and 'id="med-0-med_class-error"' not in page
    assert "Pregabalin is a gabapentinoid, not an NSAID: choose its class" in page
    assert _scores(db, clinic.due.id) == {}
    kept = client.post(f"/followup/{clinic.due.id}", data=form | {
        "med.1.med_class": "gabapentinoid"})
    assert kept.status_code == 302
    assert {r.drug: r.med_class for r in _medication_rows(db, clinic.due.id).values()} == {
        "ibuprofen/codeine": "opioid", "Pregabalin": "gabapentinoid"}


def test_an_ome_left_blank_beside_the_opioids_listed_is_asked_for(client, clinic, db):
    """Found trying the screens as a new user would: oxycodone 40 mg/day listed and the
    OME left blank (which reads as no opioid) was kept without a word. The save now gives
    the OME the list makes; an opioid with no oral factor is not counted on."""
    login(client, clinic.users["nurse"])
    form = {"version": str(clinic.due.version), "mode": "phone", "vas": "4",
            **odi_form(GOOD_ODI), "missing_reason": "not asked in this test",
            "med_rows": "2", "med.0.med_class": "opioid", "med.0.drug": "oxycodone",
            "med.0.daily_dose_mg": "40"}
    refused = client.post(f"/followup/{clinic.due.id}", data=form)
    assert refused.status_code == 422
    page = html.unescape(refused.get_data(as_text=True))
    assert 'id="ome-error"' in page
    assert ("Left blank, but the opioids listed (oxycodone 40 mg/day) give 60 mg/day (CDC "
            "2022 factors). Enter the OME, or correct the medications.") in page
    assert _scores(db, clinic.due.id) == {}
    patch = client.post(f"/followup/{clinic.due.id}", data=form | {
        "med.0.drug": "fentanyl patch", "med.0.daily_dose_mg": "25"})
    assert patch.status_code == 302, "no oral factor: nothing to give"
    db.expire_all()
    version = db.get(Assessment, clinic.due.id).version
    corrected = client.post(f"/followup/{clinic.due.id}/edit", data=form | {
        "version": version, "reason": "The drug was oxycodone"})
    assert corrected.status_code == 422
    assert "give 60 mg/day" in html.unescape(corrected.get_data(as_text=True))
    assert client.post(f"/followup/{clinic.due.id}/edit", data=form | {
        "version": version, "reason": "The drug was oxycodone", "ome": "60"}).status_code == 302


def test_a_correction_that_changes_nothing_says_so_once(client, clinic, db):
    """Found trying the screens as a new user would: the banner said 'Nothing was changed:
    the values entered are the ones already recorded' and the reason field said it again
    ('Nothing was changed: the record was left as it was'), marking a field as wrong."""
    form = {"mode": "phone", "vas": "4", **odi_form(GOOD_ODI)}
    version = _saved_by_the_nurse(client, clinic, db, form)
    same = client.post(f"/followup/{clinic.due.id}/edit", data={
        **form, "missing_reason": "not asked in this test", "version": version,
        "reason": "Checked against the sheet"})
    page = html.unescape(same.get_data(as_text=True))
    assert "the values entered are the ones already recorded" in page
    assert page.count("Nothing was changed") == 1 and 'id="reason-error"' not in page


def test_a_section_typed_as_3_0_is_saved_as_3(client, clinic, db):
    login(client, clinic.users["nurse"])
    typed = odi_form(["3.0", "1", "3", "2", "1", "2", "1", "0", "2", "2,0"])
    saved = client.post(f"/followup/{clinic.due.id}", data={
        "mode": "phone", "vas": "4", **typed, "version": clinic.due.version,
        "missing_reason": "not asked in this test"})
    assert saved.status_code == 302, saved.get_data(as_text=True)[:2000]
    odi = _scores(db, clinic.due.id)["odi"]
    assert (odi.raw_sum, odi.value) == (17, 34.0)


SKIPPED_SEX_LIFE = [*GOOD_ODI[:7], "", *GOOD_ODI[8:]]  # 9 of 10 sections: still a score


def _every_outcome(clinic, odi: list[int | str] = GOOD_ODI) -> dict[str, str]:
    """The due 1-month visit's form with every outcome it asks for."""
    return {"mode": "phone", "version": str(clinic.due.version), "vas": "4",
            "satisfaction_results": "satisfied", **odi_form(odi)}


def _steps(db, query_id: int) -> list[DataQueryStep]:
    return list(db.exec(select(DataQueryStep).where(DataQueryStep.query_id == query_id)
                        .order_by(DataQueryStep.id)).all())


def test_a_reason_typed_beside_an_odi_with_a_section_blank_answers_its_query(client, clinic,
                                                                             db):
    """Found trying the screens as a new user would: an ODI of 9 sections (a score all
    the same) saved with "Patient skipped the sex-life section" typed as why: 'Saved',
    her words dropped, and a data query raised asking whether the missing section was
    asked. The query is raised answered with her words, for the monitor to close."""
    login(client, clinic.users["nurse"])
    why = "Patient skipped the sex-life section"
    saved = client.post(f"/followup/{clinic.due.id}", follow_redirects=True,
                        data=_every_outcome(clinic, SKIPPED_SEX_LIFE) | {"missing_reason": why})
    page = html.unescape(saved.get_data(as_text=True))
    assert saved.status_code == 200 and f"Saved {clinic.patient.study_code}" in page
    assert "Raised automatically" not in page, "nothing left for the nurse to answer"
    db.expire_all()
    visit = db.get(Assessment, clinic.due.id)
    assert visit.state == "completed" and visit.missing_reason is None, "no outcome missing"
    query = db.exec(select(DataQuery).where(DataQuery.assessment_id == visit.id)).one()
    assert (query.rule, query.status) == ("section_missing", "answered")
    steps = _steps(db, query.id)
    assert [(s.step, s.user_id) for s in steps] == [
        ("raised", None), ("answered", clinic.users["nurse"].id)]
    assert steps[1].text == f"Given at entry, as why it was not collected: {why}"
    saved_as = db.exec(select(AuditEvent).where(AuditEvent.entity == "assessment",
                                                AuditEvent.entity_id == visit.id,
                                                AuditEvent.action == "update")).first()
    assert saved_as is not None and saved_as.user_id == clinic.users["nurse"].id
    assert "Data query" not in (saved_as.reason or ""), "the save's own audit keeps its reason"


def test_a_reason_typed_with_nothing_missing_is_refused_at_its_field(client, clinic, db):
    """A reason for an outcome not collected, typed beside every outcome and every
    section: nowhere to keep it and nothing it answers, so the save is refused at the
    field (not saved without it), the form as typed."""
    login(client, clinic.users["nurse"])
    why = "Patient skipped the sex-life section"
    refused = client.post(f"/followup/{clinic.due.id}",
                          data=_every_outcome(clinic) | {"missing_reason": why})
    page = html.unescape(refused.get_data(as_text=True))
    assert refused.status_code == 422 and 'id="missing_reason-error"' in page
    assert "Nothing above needs a reason: every outcome has its value. Clear this box" in page
    kept = submitted_form(page, "missing_reason")
    assert (kept["missing_reason"], kept["vas"], kept["odi.sex_life"]) == (why, "4", "0")
    assert _scores(db, clinic.due.id) == {}
    assert client.post(f"/followup/{clinic.due.id}",
                       data=_every_outcome(clinic)).status_code == 302, "cleared: saved"


def _week_1_of(db, clinic) -> Assessment:
    return db.exec(select(Assessment).join(StudyTimepoint).where(
        Assessment.patient_id == clinic.patient.id, StudyTimepoint.code == "week_1")).one()


def _week_1_recorded(client, clinic, db, day: date) -> Assessment:
    """The patient's 1-week visit recorded by the nurse (logged in) on ``day``."""
    week_1 = _week_1_of(db, clinic)
    assert client.post(f"/followup/{week_1.id}", data=_week_1_form(week_1) | {
        "visit_on": day.isoformat()}).status_code == 302
    return week_1


def test_a_correction_to_another_visits_day_before_an_adverse_events_onset_is_confirmed(
        client, clinic, db, app):
    """Found trying the screens as a new user would: a 1-month visit corrected to the day
    of the patient's recorded 1-week visit, before the onset of the adverse event
    reported at it, was kept without a word; and 'The date is right', ticked for the day
    before its window, left the query the rules raised on it open, asking again."""
    today = today_in(app)
    login(client, clinic.users["nurse"])
    week_1 = _week_1_recorded(client, clinic, db, _week_1_of(db, clinic).target_date)
    onset = today - timedelta(days=2)
    assert client.post(f"/followup/{clinic.due.id}", data=_every_outcome(clinic) | {
        "ae.event_type": "hematoma", "ae.onset_on": onset.isoformat(), "ae.severity": "mild",
        "ae.is_related": "yes"}).status_code == 302
    db.expire_all()
    day = db.get(Assessment, week_1.id).visit_on
    form = {**_every_outcome(clinic), "version": str(db.get(Assessment, clinic.due.id).version),
            "reason": "Typed on the wrong sheet", "visit_on": day.isoformat()}
    asked = client.post(f"/followup/{clinic.due.id}/edit", data=form)
    page = html.unescape(asked.get_data(as_text=True))
    assert asked.status_code == 422 and 'id="date_confirmed-error"' in page
    assert f"Another visit of this patient (1 week) is recorded on {day}" in page
    assert (f"The adverse event reported at this visit (Hematoma) began on {onset}, after "
            f"{day}") in page
    assert "before this visit's window opens" in page, "and the window, as before"
    db.expire_all()
    assert db.get(Assessment, clinic.due.id).visit_on == today, "nothing changed"
    corrected = client.post(f"/followup/{clinic.due.id}/edit", follow_redirects=True,
                            data=form | {"date_confirmed": "yes"})
    assert "follow-up corrected" in html.unescape(corrected.get_data(as_text=True))
    assert "Raised automatically" not in corrected.get_data(as_text=True)
    db.expire_all()
    assert db.get(Assessment, clinic.due.id).visit_on == day
    query = db.exec(select(DataQuery).where(DataQuery.assessment_id == clinic.due.id,
                                            DataQuery.rule == "out_of_window")).one()
    assert query.status == "answered" and query.value_when_raised == day.isoformat()
    steps = _steps(db, query.id)
    assert [(s.step, s.user_id) for s in steps] == [
        ("raised", None), ("answered", clinic.users["nurse"].id)]
    assert steps[1].text.startswith("Confirmed at the correction: 'The date is right' was "
                                    "ticked for this date")
    moved = db.exec(select(AuditEvent).where(AuditEvent.entity == "assessment",
                                             AuditEvent.entity_id == clinic.due.id,
                                             AuditEvent.field == "visit_on")).all()[-1]
    assert (moved.reason, moved.user_id) == ("Typed on the wrong sheet",
                                              clinic.users["nurse"].id)


def test_a_correction_before_the_onset_of_its_adverse_event_is_confirmed(client, clinic, db,
                                                                          app):
    """Inside the visit's window, an adverse event reported at the visit that began after
    its corrected day is asked about alone; confirmed, the day is kept (and the window
    raises no query)."""
    today = today_in(app)
    login(client, clinic.users["nurse"])
    onset = today - timedelta(days=1)
    assert client.post(f"/followup/{clinic.due.id}", data=_every_outcome(clinic) | {
        "ae.event_type": "hematoma", "ae.onset_on": onset.isoformat(), "ae.severity": "mild",
        "ae.is_related": "yes"}).status_code == 302
    db.expire_all()
    day = today - timedelta(days=3)
    form = {**_every_outcome(clinic), "version": str(db.get(Assessment, clinic.due.id).version),
            "reason": "Paper sheet dated earlier", "visit_on": day.isoformat()}
    asked = client.post(f"/followup/{clinic.due.id}/edit", data=form)
    page = html.unescape(asked.get_data(as_text=True))
    assert asked.status_code == 422, page[:1000]
    assert f"The adverse event reported at this visit (Hematoma) began on {onset}" in page
    assert "Another visit" not in page and "window opens" not in page
    assert client.post(f"/followup/{clinic.due.id}/edit",
                       data=form | {"date_confirmed": "yes"}).status_code == 302
    db.expire_all()
    assert db.get(Assessment, clinic.due.id).visit_on == day


def test_a_visit_entered_on_another_visits_day_is_confirmed(client, clinic, db, app):
    """At entry, inside the visit's window: the day of the patient's 1-week visit
    (recorded late, on a day of the 1-month window) is asked about before it is kept."""
    today = today_in(app)
    login(client, clinic.users["nurse"])
    day = today - timedelta(days=5)
    _week_1_recorded(client, clinic, db, day)
    form = _every_outcome(clinic) | {"visit_on": day.isoformat()}
    asked = client.post(f"/followup/{clinic.due.id}", data=form)
    page = html.unescape(asked.get_data(as_text=True))
    assert asked.status_code == 422 and 'id="date_confirmed-error"' in page
    assert f"Another visit of this patient (1 week) is recorded on {day}" in page
    assert "confirm what is right where asked" in page
    assert _scores(db, clinic.due.id) == {}
    assert client.post(f"/followup/{clinic.due.id}",
                       data=form | {"date_confirmed": "yes"}).status_code == 302


def test_an_adverse_event_entered_with_an_onset_after_the_visits_day_is_confirmed(
        client, clinic, db, app):
    """At entry: the complication entered with a paper sheet's visit began after the
    visit's day (reported at a visit before it began?): asked before it is kept."""
    today = today_in(app)
    login(client, clinic.users["nurse"])
    day, onset = today - timedelta(days=3), today - timedelta(days=1)
    form = _every_outcome(clinic) | {
        "visit_on": day.isoformat(), "ae.event_type": "hematoma",
        "ae.onset_on": onset.isoformat(), "ae.severity": "mild", "ae.is_related": "yes"}
    asked = client.post(f"/followup/{clinic.due.id}", data=form)
    page = html.unescape(asked.get_data(as_text=True))
    assert asked.status_code == 422 and 'id="date_confirmed-error"' in page
    assert (f"The adverse event reported at this visit (Hematoma) began on {onset}, after "
            f"{day}") in page
    assert client.post(f"/followup/{clinic.due.id}",
                       data=form | {"date_confirmed": "yes"}).status_code == 302
    db.expire_all()
    event = db.exec(select(AdverseEvent).where(
        AdverseEvent.assessment_id == clinic.due.id)).one()
    assert event.onset_on == onset
