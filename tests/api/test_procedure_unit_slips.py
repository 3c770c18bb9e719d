"""The API asks for the same confirmation as the form (``confirm_warnings``) before it
saves a value that is probably a unit or typing slip: a DAP read in Gy·cm², a fluoroscopy
time read in minutes, a dose that contradicts its concentration × volume, dexamethasone
over its own single-injection limit. The ordinary value beside each saves at once."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from clinic.models import AuditEvent
from tests.web.helpers import RECENT

DEXAMETHASONE_8 = {"drug": "dexamethasone", "concentration_pct": 0.4, "volume_ml": 2,
                   "dose_mg": 8}
PAYLOAD = {"performed_at": RECENT, "modality": "fluoroscopy", "procedure_type": "tfesi",
           "punctures": 1, "targets": [{"level": "L4-L5", "side": "left"}],
           "injectates": [DEXAMETHASONE_8], "dap_mgy_cm2": 300, "fluoroscopy_time_s": 45}
EARLIER = f"{date.today() - timedelta(days=3)}T10:00:00+01:00"  # another day than RECENT
# (the ordinary values, the slip, its warning)
SLIPS = [
    pytest.param({}, {"dap_mgy_cm2": 1.2},
                 "DAP 1.2 mGy·cm²: lower than a fluoroscopy-guided injection gives (check "
                 "the unit: 1.2 Gy·cm² is 1,200 mGy·cm²).", id="dap-in-gy"),
    pytest.param({}, {"fluoroscopy_time_s": 1.5},
                 "Fluoroscopy time 1.5 s: shorter than a fluoroscopy-guided injection takes "
                 "(check the unit: 1.5 min is 90 s).", id="time-in-minutes"),
    pytest.param({}, {"injectates": [{**DEXAMETHASONE_8, "dose_mg": 80}]},
                 "Dexamethasone 80 mg, but 0.4 % × 2 mL is 8 mg: check the dose, the "
                 "concentration or the volume.", id="dose-against-concentration"),
    pytest.param({"injectates": [{"drug": "dexamethasone", "dose_mg": 8}]},
                 {"injectates": [{"drug": "dexamethasone", "dose_mg": 80}]},
                 "Dexamethasone 80 mg in one injection is more than 20 mg: check the dose "
                 "and its unit.", id="dexamethasone-limit"),
]


@pytest.mark.parametrize("usual, slip, warning", SLIPS)
def test_a_new_procedure_with_a_likely_slip_needs_confirm_warnings(
        client, clinic, bearer, db, usual, slip, warning):
    url = f"/api/v1/patients/{clinic.patient.id}/procedures"
    headers = bearer("physician")
    ordinary = client.post(url, headers=headers,
                           json={**PAYLOAD, **usual, "performed_at": EARLIER})
    assert ordinary.status_code == 201, ordinary.get_json()
    assert ordinary.get_json()["warnings"] == []
    sent = {**PAYLOAD, **usual, **slip}
    refused = client.post(url, headers=headers, json=sent)
    assert refused.status_code == 422
    assert warning in refused.get_json()["errors"]["confirm_warnings"]
    created = client.post(url, headers=headers, json={**sent, "confirm_warnings": True})
    assert created.status_code == 201 and warning in created.get_json()["warnings"]
    body = created.get_json()
    assert body["dap_mgy_cm2"] == sent["dap_mgy_cm2"]
    assert body["fluoroscopy_time_s"] == sent["fluoroscopy_time_s"]
    assert body["injectates"][0]["dose_mg"] == sent["injectates"][0]["dose_mg"]
    event = db.exec(select(AuditEvent).where(AuditEvent.entity == "procedure",
                                             AuditEvent.entity_id == body["id"],
                                             AuditEvent.action == "create")).one()
    assert event.reason.startswith("Confirmed before saving: ") and warning in event.reason


@pytest.mark.parametrize("usual, slip, warning", SLIPS)
def test_a_correction_to_a_likely_slip_needs_confirm_warnings(
        client, clinic, bearer, db, listed_procedure, usual, slip, warning):
    headers = bearer("physician")
    listed, url, recorded = listed_procedure(headers)
    ordinary = {**recorded, "injectates": [DEXAMETHASONE_8], "dap_mgy_cm2": 300,
                "fluoroscopy_time_s": 45, **usual, "reason": "Read from the dose sheet"}
    done = client.put(url, headers=headers, json={**ordinary, "version": listed["version"]})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["warnings"] == []
    edit = {**ordinary, **slip, "version": done.get_json()["version"], "reason": "Read again"}
    refused = client.put(url, headers=headers, json=edit)
    assert refused.status_code == 422
    assert warning in refused.get_json()["errors"]["confirm_warnings"]
    done = client.put(url, headers=headers, json={**edit, "confirm_warnings": True})
    assert done.status_code == 200 and warning in done.get_json()["warnings"]
    assert done.get_json()["version"] == listed["version"] + 2
    reasons = db.exec(select(AuditEvent.reason).where(  # the procedure's, its injectates'
        AuditEvent.reason.startswith("Read again"))).all()  # what was confirmed, with it
    assert reasons and all(r.startswith("Read again. Confirmed before saving: ") and warning in r
                           for r in reasons)
