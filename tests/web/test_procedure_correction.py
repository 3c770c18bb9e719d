"""Correcting a recorded procedure from the patient page: prefilled form, reason, conflict."""

from __future__ import annotations

import re

from sqlmodel import select

from clinic.models import Injectate, Procedure
from tests.web.helpers import login


def _procedure(db, patient_id: int) -> Procedure:
    db.expire_all()
    return db.exec(select(Procedure).where(Procedure.patient_id == patient_id)).one()


def _form(page: str) -> dict[str, str]:
    """The form as the browser would submit it: inputs, selected options, textareas."""
    values = dict(re.findall(r'<input[^>]*name="([^"]+)" value="([^"]*)"', page))
    values |= {k: v for k, v in re.findall(r'<input[^>]*id="[^"]*" name="([^"]+)" '
                                           r'value="([^"]*)"', page)}
    for name, body in re.findall(r'<select id="[^"]*" name="([^"]+)"[^>]*>(.*?)</select>',
                                 page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', body)
        values[name] = chosen.group(1) if chosen else ""
    return values


def test_the_form_shows_what_was_recorded(client, clinic, db):
    login(client, clinic.users["physician"])
    procedure = _procedure(db, clinic.patient.id)
    page = client.get(f"/procedures/{procedure.id}/edit").get_data(as_text=True)
    form = _form(page)
    assert form["dap_mgy_cm2"] == "350" and form["modality"] == "fluoroscopy"
    assert form["target-0-level"] == "L4-L5" and form["injectate-1-drug"] == "dexamethasone"
    assert form["version"] == str(procedure.version)
    assert 'name="reason"' in page


def test_the_form_hides_the_other_modalities_dose_before_any_script_runs(client, clinic, db):
    """A fluoroscopic TFESI with pulsed RF opens with the CT dose hidden, its own dose and
    RF settings shown, as procedure.js would set them (a page read before the script ran
    showed every section); a plain TFESI hides the RF settings."""
    login(client, clinic.users["physician"])
    procedure = _procedure(db, clinic.patient.id)
    page = client.get(f"/procedures/{procedure.id}/edit").get_data(as_text=True)
    tags = dict(re.findall(r'<section class="card" [^>]*id="([a-z-]+)"([^>]*)>', page))
    assert tags["radiation-ct"].strip() == "hidden"
    assert tags["radiation-dap"].strip() == "" and tags["rf-settings"].strip() == ""
    procedure.procedure_type = "tfesi"
    db.add(procedure)
    db.commit()
    page = client.get(f"/procedures/{procedure.id}/edit").get_data(as_text=True)
    assert re.search(r'id="rf-settings"\s+hidden>', page)


def test_a_correction_saves_and_shows_in_the_record_history(client, clinic, db):
    login(client, clinic.users["physician"])
    procedure = _procedure(db, clinic.patient.id)
    url, read_version = f"/procedures/{procedure.id}/edit", procedure.version
    form = _form(client.get(url).get_data(as_text=True))
    form |= {"dap_mgy_cm2": "305.5", "injectate-1-dose_mg": "4",
             "reason": "Dose sheet read wrongly"}
    response = client.post(url, data=form)
    assert response.status_code == 302
    saved = _procedure(db, clinic.patient.id)
    assert saved.dap_mgy_cm2 == 305.5 and saved.version == read_version + 1
    doses = db.exec(select(Injectate.dose_mg).where(Injectate.procedure_id == saved.id)
                    .order_by(Injectate.id)).all()
    assert doses == [None, 4.0]
    page = client.get(f"/patients/{clinic.patient.id}").get_data(as_text=True)
    # the injectates the correction replaced read as one change, old and new side by side
    # (they read as "removed: …" and, on a line of its own, "added: …")
    assert re.search(r"<td>injectates</td><td class=\"audit-value\">injectate Lidocaine[^<]* · "
                     r"injectate Dexamethasone 8 mg</td><td class=\"audit-value\">injectate "
                     r"Lidocaine[^<]* · injectate Dexamethasone 4 mg</td>", page)
    assert "removed: injectate" not in page
    assert "Dose sheet read wrongly" in page


def test_the_second_of_two_editors_gets_a_conflict(client, clinic, db):
    login(client, clinic.users["physician"])
    procedure = _procedure(db, clinic.patient.id)
    url = f"/procedures/{procedure.id}/edit"
    form = _form(client.get(url).get_data(as_text=True))
    first = client.post(url, data=form | {"punctures": "3", "reason": "Three, not two"})
    assert first.status_code == 302
    second = client.post(url, data=form | {"operative_time_min": "30", "reason": "Time"})
    assert second.status_code == 409
    page = second.get_data(as_text=True)
    assert "NOT saved" in page and _form(page)["punctures"] == "3"
    assert _procedure(db, clinic.patient.id).operative_time_min != 30


def test_bad_input_changes_nothing(client, clinic, db):
    login(client, clinic.users["physician"])
    procedure = _procedure(db, clinic.patient.id)
    url = f"/procedures/{procedure.id}/edit"
    form = _form(client.get(url).get_data(as_text=True))
    response = client.post(url, data=form | {"modality": "ct", "reason": "Was CT"})
    assert response.status_code == 422
    assert 'id="dap_mgy_cm2-error"' in response.get_data(as_text=True)
    assert _procedure(db, clinic.patient.id).modality == "fluoroscopy"


def test_nurses_cannot_correct_procedures(client, clinic, db):
    login(client, clinic.users["nurse"])
    procedure = _procedure(db, clinic.patient.id)
    assert client.get(f"/procedures/{procedure.id}/edit").status_code == 403


def test_every_problem_of_a_correction_is_named_in_one_round(client, clinic, db):
    """Found trying the screens as a new user would: a date of 31/02, an emoji for the
    time, a negative CTDIvol and punctures and 3,000 characters of notes named two
    fields; the three others came after those were fixed."""
    login(client, clinic.users["physician"])
    procedure = _procedure(db, clinic.patient.id)
    url = f"/procedures/{procedure.id}/edit"
    form = _form(client.get(url).get_data(as_text=True))
    response = client.post(url, data={
        **form, "performed_at": "31/02/2026 10:00", "operative_time_min": "😀",
        "modality": "ct", "dap_mgy_cm2": "", "fluoroscopy_time_s": "", "ctdivol_mgy": "-7",
        "dlp_mgy_cm": "300", "punctures": "-1", "notes": "n" * 3000, "reason": "Typed again"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    named = set(re.findall(r'id="([a-z_]+)-error"', page))
    assert {"performed_at", "operative_time_min", "ctdivol_mgy", "punctures",
            "notes"} <= named, named
    db.expire_all()
    assert _procedure(db, clinic.patient.id).version == procedure.version
