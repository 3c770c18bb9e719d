"""The API's correction asks for ``confirm_warnings`` as the form does: only for what the
correction brings in or changes. A warning the recorded values raised was confirmed when
they were saved; a correction of another field is not refused over it again, and the
``warnings`` a correction returns are those it was confirmed over."""

from __future__ import annotations

import pytest
from sqlmodel import select

from clinic.models import AuditEvent
from tests.web.helpers import RECENT

DEXAMETHASONE_8 = {"drug": "dexamethasone", "concentration_pct": 0.4, "volume_ml": 2,
                   "dose_mg": 8}
PAYLOAD = {"performed_at": RECENT, "modality": "fluoroscopy", "procedure_type": "tfesi",
           "punctures": 1, "targets": [{"level": "L4-L5", "side": "left"}],
           "injectates": [DEXAMETHASONE_8], "operative_time_min": 20, "dap_mgy_cm2": 300,
           "fluoroscopy_time_s": 45}
DEXAMETHASONE_80 = {"injectates": [{"drug": "dexamethasone", "dose_mg": 80}]}
STEROID_80 = ("Dexamethasone 80 mg in one injection is more than 20 mg: check the dose and "
              "its unit.")
DAP_SLIP = ("DAP 1.2 mGy·cm²: lower than a fluoroscopy-guided injection gives (check the "
            "unit: 1.2 Gy·cm² is 1,200 mGy·cm²).")
# (the values entered, their warning)
ENTERED = [
    pytest.param({"dap_mgy_cm2": 1.2}, DAP_SLIP, id="low-dap"),
    pytest.param({"fluoroscopy_time_s": 1.5}, "Fluoroscopy time 1.5 s: shorter than",
                 id="short-time"),
    pytest.param({"injectates": [{**DEXAMETHASONE_8, "dose_mg": 80}]},
                 "Dexamethasone 80 mg, but 0.4 % × 2 mL", id="dose-against-concentration"),
    pytest.param(DEXAMETHASONE_80, STEROID_80, id="steroid-limit"),
    pytest.param({"dap_mgy_cm2": 60000}, "DAP 60,000 mGy·cm² is more than 50,000",
                 id="high-dap"),
]


def _entered(client, headers, patient_id: int, payload: dict) -> tuple[dict, str, dict]:
    """A procedure entered over its warnings, confirmed: its JSON, its address, and its
    fields as a correction sends them back."""
    url = f"/api/v1/patients/{patient_id}/procedures"
    assert client.post(url, headers=headers, json=payload).status_code == 422
    created = client.post(url, headers=headers, json={**payload, "confirm_warnings": True})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    return body, f"/api/v1/procedures/{body['id']}", {
        k: v for k, v in body.items() if k not in {"id", "patient_id", "warnings"}}


def _reasons(db, reason: str) -> list[str]:
    return list(db.exec(select(AuditEvent.reason)
                        .where(AuditEvent.reason.startswith(reason))).all())


@pytest.mark.parametrize("entered, warning", ENTERED)
def test_a_warning_confirmed_at_entry_does_not_refuse_a_correction_of_another_field(
        client, clinic, bearer, db, entered, warning):
    headers = bearer("physician")
    body, url, recorded = _entered(client, headers, clinic.patient.id, {**PAYLOAD, **entered})
    assert any(w.startswith(warning) for w in body["warnings"])
    done = client.put(url, headers=headers, json={**recorded, "operative_time_min": 25,
                                                  "reason": "Time from the sheet"})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["warnings"] == [] and done.get_json()["operative_time_min"] == 25
    assert _reasons(db, "Time from") == ["Time from the sheet"]


def test_a_changed_cause_is_asked_again_and_only_it(client, clinic, bearer, db):
    """Dexamethasone 80 mg and a DAP of 1.2 confirmed at entry; the dose corrected to
    60 mg, still over the limit: asked about again, the DAP left as it was not."""
    headers = bearer("physician")
    body, url, recorded = _entered(client, headers, clinic.patient.id,
                                   {**PAYLOAD, **DEXAMETHASONE_80, "dap_mgy_cm2": 1.2})
    assert body["warnings"] == [STEROID_80, DAP_SLIP]
    sixty = STEROID_80.replace("80", "60")
    edit = {**recorded, "injectates": [{"drug": "dexamethasone", "dose_mg": 60}],
            "reason": "Read again"}
    refused = client.put(url, headers=headers, json=edit)
    assert refused.status_code == 422
    asked = refused.get_json()["errors"]["confirm_warnings"]
    assert sixty in asked and DAP_SLIP not in asked
    done = client.put(url, headers=headers, json={**edit, "confirm_warnings": True})
    assert done.status_code == 200 and done.get_json()["warnings"] == [sixty]
    reasons = _reasons(db, "Read again")
    assert reasons and all(r == f"Read again. Confirmed before saving: {sixty}"
                           for r in reasons)


def test_a_deviation_confirmed_with_its_reason_does_not_refuse_a_correction(
        client, clinic, bearer, db):
    """The patient is in the fluoroscopy arm: ultrasound is a deviation."""
    headers = bearer("physician")
    ultrasound = {k: v for k, v in PAYLOAD.items() if k not in ("dap_mgy_cm2",
                                                                "fluoroscopy_time_s")}
    _body, url, recorded = _entered(client, headers, clinic.patient.id,
                                    {**ultrasound, "modality": "ultrasound",
                                     "deviation_reason": "C-arm out of order"})
    done = client.put(url, headers=headers, json={**recorded, "operative_time_min": 25,
                                                  "reason": "Time"})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["deviation_reason"] == "C-arm out of order"
    cleared = client.put(url, headers=headers, json={**recorded, "deviation_reason": None,
                                                     "version": done.get_json()["version"],
                                                     "reason": "No reason"})
    assert cleared.status_code == 422 and "deviation_reason" in cleared.get_json()["errors"]
