"""Found trying the procedure form as a new user would: a warning confirmed at entry (a
dose, a unit slip) was asked about again when a correction changed only another field,
and a confirmed correction said nothing of the warning it was saved with, where entry
says "Saved with a warning". A correction now asks only about what it brings in or
changes, and says what it was saved with as entry does."""

from __future__ import annotations

import html
import re

import pytest
from sqlmodel import select

from clinic.models import AuditEvent, Procedure
from tests.web.helpers import RECENT, login, submitted_form

FORM = {"performed_at": RECENT[:16], "modality": "fluoroscopy", "procedure_type": "tfesi",
        "punctures": "1", "target-0-level": "L4-L5", "target-0-side": "left",
        "injectate-0-drug": "dexamethasone", "injectate-0-concentration_pct": "0.4",
        "injectate-0-volume_ml": "2", "injectate-0-dose_mg": "8",
        "operative_time_min": "20", "dap_mgy_cm2": "300", "fluoroscopy_time_s": "45"}
DEXAMETHASONE_80 = {"injectate-0-concentration_pct": "", "injectate-0-volume_ml": "",
                    "injectate-0-dose_mg": "80"}
STEROID_80 = ("Dexamethasone 80 mg in one injection is more than 20 mg: check the dose and "
              "its unit.")
DAP_SLIP = ("DAP 1.2 mGy·cm²: lower than a fluoroscopy-guided injection gives (check the "
            "unit: 1.2 Gy·cm² is 1,200 mGy·cm²).")
# (the values entered, their warning)
ENTERED = [
    pytest.param({"dap_mgy_cm2": "1.2"}, DAP_SLIP, id="low-dap"),
    pytest.param({"fluoroscopy_time_s": "1.5"}, "Fluoroscopy time 1.5 s: shorter than",
                 id="short-time"),
    pytest.param({"injectate-0-dose_mg": "80"}, "Dexamethasone 80 mg, but 0.4 % × 2 mL",
                 id="dose-against-concentration"),
    pytest.param(DEXAMETHASONE_80, STEROID_80, id="steroid-limit"),
    pytest.param({"dap_mgy_cm2": "60000"}, "DAP 60,000 mGy·cm² is more than 50,000",
                 id="high-dap"),
]


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _asked(page: str) -> str:
    """The points the form asks to confirm."""
    found = re.search(r"Please check before saving:.*?</ul>", page, re.S)
    return found.group(0) if found else ""


def _form(page: str) -> dict[str, str]:
    """The correction form as the browser would submit it."""
    return submitted_form(page, "operative_time_min").to_dict()


def _entered(client, db, patient_id: int, values: dict[str, str]) -> tuple[Procedure, str]:
    """A procedure entered over its warnings, confirmed; its correction form's address."""
    url = f"/patients/{patient_id}/procedures/new"
    asked = client.post(url, data=values)
    assert asked.status_code == 200 and 'id="confirm_warnings"' in _text(asked)
    warned = re.search(r'name="warned" value="([0-9a-f ]+)"', _text(asked)).group(1)
    saved = client.post(url, data={**values, "confirm_warnings": "yes", "warned": warned})
    assert saved.status_code == 302
    db.expire_all()
    procedure = db.exec(select(Procedure).where(Procedure.patient_id == patient_id)
                        .order_by(Procedure.id.desc())).first()
    return procedure, f"/procedures/{procedure.id}/edit"


def _reasons(db, reason: str) -> list[str]:
    """The audit reasons of the correction given ``reason``."""
    return list(db.exec(select(AuditEvent.reason)
                        .where(AuditEvent.reason.startswith(reason))).all())


@pytest.mark.parametrize("entered, warning", ENTERED)
def test_a_warning_confirmed_at_entry_is_not_asked_again_for_another_field(
        client, clinic, db, entered, warning):
    login(client, clinic.users["physician"])
    procedure, url = _entered(client, db, clinic.patient.id, {**FORM, **entered})
    form = _form(client.get(url).get_data(as_text=True))
    saved = client.post(url, data={**form, "operative_time_min": "25",
                                   "reason": "Time read from the anaesthesia sheet"})
    assert saved.status_code == 302, _asked(_text(saved))
    db.expire_all()
    assert db.get(Procedure, procedure.id).operative_time_min == 25
    assert _reasons(db, "Time read") == ["Time read from the anaesthesia sheet"], \
        "nothing was confirmed in this correction"
    page = _text(client.get(saved.headers["Location"]))
    assert "procedure corrected (operative time" in page
    assert "Saved with a warning" not in page


def test_a_changed_cause_is_asked_again_and_saved_with_a_warning_as_at_entry(client, clinic,
                                                                            db):
    login(client, clinic.users["physician"])
    procedure, url = _entered(client, db, clinic.patient.id, {**FORM, **DEXAMETHASONE_80})
    version = procedure.version
    form = {**_form(client.get(url).get_data(as_text=True)), "injectate-0-dose_mg": "60",
            "reason": "Read again from the syringe label"}
    asked = client.post(url, data=form)
    sixty = STEROID_80.replace("80", "60")
    assert asked.status_code == 200 and sixty in _asked(_text(asked))
    db.expire_all()
    assert db.get(Procedure, procedure.id).version == version, "not saved"
    warned = re.search(r'name="warned" value="([0-9a-f ]+)"', _text(asked)).group(1)
    saved = client.post(url, data={**form, "confirm_warnings": "yes", "warned": warned})
    assert saved.status_code == 302
    page = _text(client.get(saved.headers["Location"]))
    assert f"Saved with a warning: {sixty}" in page and "procedure corrected" in page
    reasons = _reasons(db, "Read again")
    assert reasons and all(r == f"Read again from the syringe label. Confirmed before "
                                f"saving: {sixty}" for r in reasons)


def test_a_correction_asks_only_about_the_warning_it_brings_in(client, clinic, db):
    login(client, clinic.users["physician"])
    _procedure, url = _entered(client, db, clinic.patient.id, {**FORM, **DEXAMETHASONE_80})
    form = {**_form(client.get(url).get_data(as_text=True)), "dap_mgy_cm2": "1.2",
            "reason": "DAP from the dose sheet"}
    asked = client.post(url, data=form)
    points = _asked(_text(asked))
    assert asked.status_code == 200 and DAP_SLIP in points and STEROID_80 not in points
    warned = re.search(r'name="warned" value="([0-9a-f ]+)"', _text(asked)).group(1)
    saved = client.post(url, data={**form, "confirm_warnings": "yes", "warned": warned})
    assert saved.status_code == 302
    page = _text(client.get(saved.headers["Location"]))
    assert f"Saved with a warning: {DAP_SLIP}" in page
    assert f"Saved with a warning: {STEROID_80}" not in page
    assert _reasons(db, "DAP from") == [f"DAP from the dose sheet. Confirmed before saving: "
                                        f"{DAP_SLIP}"]


def test_a_deviation_confirmed_with_its_reason_is_not_asked_again(client, clinic, db):
    """The patient is in the fluoroscopy arm: ultrasound is a deviation, confirmed with a
    reason at entry, which a correction of the time leaves as it was."""
    login(client, clinic.users["physician"])
    ultrasound = {k: v for k, v in FORM.items() if k not in ("dap_mgy_cm2",
                                                             "fluoroscopy_time_s")}
    procedure, url = _entered(client, db, clinic.patient.id,
                              {**ultrasound, "modality": "ultrasound",
                               "deviation_reason": "C-arm out of order"})
    form = _form(client.get(url).get_data(as_text=True))
    saved = client.post(url, data={**form, "operative_time_min": "25", "reason": "Time"})
    assert saved.status_code == 302, _asked(_text(saved))
    db.expire_all()
    corrected = db.get(Procedure, procedure.id)
    assert corrected.operative_time_min == 25
    assert corrected.deviation_reason == "C-arm out of order"
