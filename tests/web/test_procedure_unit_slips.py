"""Found trying the procedure form as a new user would: a DAP read in Gy·cm² (1.2), a
fluoroscopy time read in minutes (1.5), dexamethasone 80 mg beside 0.4 % × 2 mL and
dexamethasone 80 mg at all were saved without a word. Each is now a warning the
physician confirms, at entry and in a correction; the ordinary value beside it (DAP 300,
45 s, dexamethasone 0.4 % × 2 mL = 8 mg, dexamethasone 8 mg alone) saves at once."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import pytest
from sqlmodel import select

from clinic.models import AuditEvent, Injectate, Procedure
from tests.web.helpers import RECENT, login, submitted_form

FORM = {"performed_at": RECENT[:16], "modality": "fluoroscopy", "procedure_type": "tfesi",
        "punctures": "1", "target-0-level": "L4-L5", "target-0-side": "left",
        "injectate-0-drug": "dexamethasone", "injectate-0-concentration_pct": "0.4",
        "injectate-0-volume_ml": "2", "injectate-0-dose_mg": "8",
        "operative_time_min": "20", "dap_mgy_cm2": "300", "fluoroscopy_time_s": "45"}
DEXAMETHASONE_ALONE = {"injectate-0-concentration_pct": "", "injectate-0-volume_ml": ""}
# (the ordinary values, the slip, its warning)
SLIPS = [
    pytest.param({}, {"dap_mgy_cm2": "1.2"},
                 "DAP 1.2 mGy·cm²: lower than a fluoroscopy-guided injection gives (check "
                 "the unit: 1.2 Gy·cm² is 1,200 mGy·cm²).", id="dap-in-gy"),
    pytest.param({}, {"fluoroscopy_time_s": "1.5"},
                 "Fluoroscopy time 1.5 s: shorter than a fluoroscopy-guided injection takes "
                 "(check the unit: 1.5 min is 90 s).", id="time-in-minutes"),
    pytest.param({}, {"injectate-0-dose_mg": "80"},
                 "Dexamethasone 80 mg, but 0.4 % × 2 mL is 8 mg: check the dose, the "
                 "concentration or the volume.", id="dose-against-concentration"),
    pytest.param(DEXAMETHASONE_ALONE, {"injectate-0-dose_mg": "80"},
                 "Dexamethasone 80 mg in one injection is more than 20 mg: check the dose "
                 "and its unit.", id="dexamethasone-limit"),
]
EARLIER = f"{date.today() - timedelta(days=3)}T10:00"  # another day than FORM's


def _procedures(db, patient_id: int) -> list[Procedure]:
    db.expire_all()
    return list(db.exec(select(Procedure).where(Procedure.patient_id == patient_id)
                        .order_by(Procedure.id)).all())


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _warned(page: str) -> str:
    return re.search(r'name="warned" value="([0-9a-f ]+)"', page).group(1)


def _form(page: str) -> dict[str, str]:
    """The correction form as the browser would submit it."""
    return submitted_form(page, "operative_time_min").to_dict()


def _stored(db, procedure: Procedure) -> tuple[object, ...]:
    dose = db.exec(select(Injectate.dose_mg).where(Injectate.procedure_id == procedure.id)
                   .order_by(Injectate.id)).all()
    return procedure.dap_mgy_cm2, procedure.fluoroscopy_time_s, tuple(dose)


def _as_row(values: dict[str, str], row: int) -> dict[str, str]:
    """The form's injectate values moved to another row."""
    return {k.replace("injectate-0", f"injectate-{row}"): v for k, v in values.items()}


@pytest.mark.parametrize("usual, slip, warning", SLIPS)
def test_entry_saves_a_likely_slip_only_when_confirmed(client, clinic, db, usual, slip,
                                                       warning):
    login(client, clinic.users["physician"])
    url = f"/patients/{clinic.patient.id}/procedures/new"
    ordinary = client.post(url, data={**FORM, **usual, "performed_at": EARLIER})
    assert ordinary.status_code == 302 and len(_procedures(db, clinic.patient.id)) == 2
    assert "Saved with a warning" not in _text(client.get(ordinary.headers["Location"]))
    form = {**FORM, **usual, **slip}
    warned = client.post(url, data=form)
    page = _text(warned)
    assert warned.status_code == 200 and len(_procedures(db, clinic.patient.id)) == 2
    assert warning in page and 'id="confirm_warnings"' in page
    saved = client.post(url, data={**form, "confirm_warnings": "yes", "warned": _warned(page)})
    assert saved.status_code == 302 and len(_procedures(db, clinic.patient.id)) == 3
    new = _procedures(db, clinic.patient.id)[-1]
    assert _stored(db, new) == (float(form["dap_mgy_cm2"]), float(form["fluoroscopy_time_s"]),
                                (float(form["injectate-0-dose_mg"]),))
    created = db.exec(select(AuditEvent).where(AuditEvent.entity == "procedure",
                                               AuditEvent.entity_id == new.id,
                                               AuditEvent.action == "create")).one()
    assert created.reason.startswith("Confirmed before saving: ") and warning in created.reason


@pytest.mark.parametrize("usual, slip, warning", SLIPS)
def test_a_correction_saves_a_likely_slip_only_when_confirmed(client, clinic, db, usual, slip,
                                                              warning):
    login(client, clinic.users["physician"])
    procedure = _procedures(db, clinic.patient.id)[0]
    url, version = f"/procedures/{procedure.id}/edit", procedure.version
    form = _form(client.get(url).get_data(as_text=True))
    assert form["injectate-1-drug"] == "dexamethasone"
    # the recorded procedure with the ordinary values: saved at once
    ordinary = {**form, "dap_mgy_cm2": "300", "fluoroscopy_time_s": "45",
                **_as_row({k: v for k, v in FORM.items() if k.startswith("injectate-0-")}, 1),
                **_as_row(usual, 1), "reason": "Read from the dose sheet"}
    assert client.post(url, data=ordinary).status_code == 302
    corrected = _procedures(db, clinic.patient.id)[0]
    assert corrected.version == version + 1
    assert _stored(db, corrected) == (300.0, 45.0, (None, 8.0))
    form = {**ordinary, "version": str(version + 1), **_as_row(slip, 1),
            "reason": "Read again"}
    warned = client.post(url, data=form)
    page = _text(warned)
    assert warned.status_code == 200 and warning in page
    assert _procedures(db, clinic.patient.id)[0].version == version + 1, "not saved"
    saved = client.post(url, data={**form, "confirm_warnings": "yes", "warned": _warned(page)})
    assert saved.status_code == 302
    corrected = _procedures(db, clinic.patient.id)[0]
    assert corrected.version == version + 2
    assert _stored(db, corrected) == (float(form["dap_mgy_cm2"]),
                                      float(form["fluoroscopy_time_s"]),
                                      (None, float(form["injectate-1-dose_mg"])))
    event = db.exec(select(AuditEvent).where(AuditEvent.reason.startswith("Read again"))
                    .order_by(AuditEvent.id.desc())).first()  # what was confirmed, with it
    assert event.reason.startswith("Read again. Confirmed before saving: ")
    assert warning in event.reason
