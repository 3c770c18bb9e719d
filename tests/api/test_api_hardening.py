"""Hostile input to the API: bounded, finite, one value per key, JSON errors with the
right status and headers, tokens that expire. Never a 5xx."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlmodel import select

from clinic.json_provider import StrictJSONProvider
from clinic.models import Assessment, Patient
from tests.web.helpers import RECENT

NOT_ASKED = "not asked in this test"  # the reason for the outcomes a test leaves out

RAW = {"Content-Type": "application/json"}


def test_404_and_405_under_the_api_are_json_with_an_allow_header(client, bearer):
    headers = bearer("nurse")
    missing = client.get("/api/v1/nothing-here", headers=headers)
    assert missing.status_code == 404 and missing.is_json and missing.get_json()["message"]
    wrong = client.delete("/api/v1/patients", headers=headers)
    assert wrong.status_code == 405 and wrong.is_json
    assert "GET" in wrong.headers["Allow"]


@pytest.mark.parametrize("path", ["/api/v1/patients/99999999999999999999999",
                                  "/api/v1/patients/9223372036854775808",
                                  "/api/v1/assessments/2147483648"])
def test_integers_beyond_the_column_are_not_found(client, bearer, path):
    response = client.get(path, headers=bearer("nurse"))
    assert response.status_code == 404 and response.is_json


@pytest.mark.parametrize("site", ["99999999999999999999999", "NOWHERE", "null", "1.5"])
def test_a_site_filter_that_names_no_site_is_refused_not_a_500(client, bearer, clinic, site):
    """It was dropped: the list answered every site's patients as if filtered."""
    response = client.get(f"/api/v1/patients?site={site}", headers=bearer("coordinator"))
    assert response.status_code == 422 and "No site" in response.get_json()["errors"]["site"]
    assert client.get(f"/api/v1/patients?site={clinic.north.id}",
                      headers=bearer("coordinator")).status_code == 200


def test_the_list_filters_take_codes_as_the_screens_show_them(client, bearer, clinic, db):
    """A program reads site and patient codes on the screens and in exports; ids are
    kept too (found trying the API as a new user would)."""
    from clinic.queries.service import raise_query

    raise_query(db, table="patient", row_id=clinic.patient.id, field="bmi",
                text="BMI from the referral letter?", actor_id=clinic.users["monitor"].id)
    db.commit()
    by_code = client.get("/api/v1/patients?site=north", headers=bearer("coordinator"))
    by_id = client.get(f"/api/v1/patients?site={clinic.north.id}",
                       headers=bearer("coordinator"))
    assert by_code.status_code == 200 and by_code.get_json() == by_id.get_json()
    code = clinic.patient.study_code
    queries = client.get(f"/api/v1/queries?patient={code}", headers=bearer("coordinator"))
    assert queries.status_code == 200, queries.get_json()
    assert [q["patient_id"] for q in queries.get_json()] == [clinic.patient.id]
    unknown = client.get("/api/v1/queries?patient=NOBODY-1", headers=bearer("coordinator"))
    assert unknown.status_code == 422
    assert "No patient 'NOBODY-1'" in unknown.get_json()["errors"]["patient"]
    lower = client.get(f"/api/v1/queries?patient={code.lower()}", headers=bearer("coordinator"))
    assert lower.status_code == 200 and len(lower.get_json()) == 1  # any case, as study=


@pytest.mark.parametrize("patient", ["1000000", "0", "NOBODY-1"])
def test_a_patient_filter_naming_no_patient_is_a_422_naming_the_field(client, bearer, clinic,
                                                                     patient):
    """An id that names no patient was a 404 that read like a wrong address."""
    response = client.get(f"/api/v1/queries?patient={patient}", headers=bearer("coordinator"))
    assert response.status_code == 422
    assert f"No patient '{patient}'" in response.get_json()["errors"]["patient"]


def test_a_patient_of_another_study_or_site_is_not_found_there(client, bearer, clinic, db):
    from dataclasses import replace

    from tests.factories import DEMO_STUDY, make_study

    other = make_study(db, replace(DEMO_STUDY, code="OTHER"))
    db.commit()
    for patient in (clinic.patient.study_code, str(clinic.patient.id)):
        response = client.get(f"/api/v1/queries?patient={patient}&study=OTHER",
                              headers=bearer("coordinator"))
        assert response.status_code == 422, patient
        assert "is not in the study asked" in response.get_json()["errors"]["patient"]
    assert other.id
    south = client.get(f"/api/v1/queries?patient={clinic.other.study_code}",  # a north nurse
                       headers=bearer("nurse"))
    assert south.status_code == 422
    assert "No patient" in south.get_json()["errors"]["patient"]


def test_a_site_code_of_digits_alone_is_refused_it_would_read_as_an_id(db):
    from clinic.auth.service import create_site
    from clinic.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        create_site(db, code="3", name="Third")
    assert "Start the code with a letter" in refused.value.errors["code"]
    assert create_site(db, code="SITE3", name="Third").code == "SITE3"


@pytest.mark.parametrize("literal", ["Infinity", "-Infinity", "NaN", "1e309"])
def test_non_finite_numbers_are_refused(client, bearer, clinic, db, literal):
    body = ('{"version": ' + str(clinic.patient.version)
            + ', "reason": "typo", "symptom_duration_months": ' + literal + "}")
    response = client.patch(f"/api/v1/patients/{clinic.patient.id}", data=body,
                            headers={**bearer("nurse"), **RAW})
    assert response.status_code == 422 and response.is_json
    db.expire_all()
    assert db.get(Patient, clinic.patient.id).version == clinic.patient.version


def test_a_key_given_twice_is_refused(client, bearer, clinic):
    body = ('{"version": ' + str(clinic.patient.version)
            + ', "reason": "typo", "bmi": 25, "bmi": 31}')
    response = client.patch(f"/api/v1/patients/{clinic.patient.id}", data=body,
                            headers={**bearer("nurse"), **RAW})
    assert response.status_code == 422 and "body" in response.get_json()["errors"]


@pytest.mark.parametrize("version", [2**31, 2**63, -1, True, 1.5, "x"])
def test_versions_outside_the_column_are_refused(client, bearer, clinic, version):
    response = client.post(f"/api/v1/assessments/{clinic.due.id}/not-done",
                           json={"version": version, "reason": "moved away"},
                           headers=bearer("nurse"))
    assert response.status_code in (409, 422) and response.is_json


def test_over_long_text_is_refused_with_the_field(client, bearer, clinic):
    response = client.patch(f"/api/v1/patients/{clinic.patient.id}", headers=bearer("nurse"),
                            json={"version": clinic.patient.version, "reason": "typo",
                                  "diagnosis": "x" * 301})
    assert response.status_code == 422 and "diagnosis" in response.get_json()["errors"]


def test_unknown_codes_and_out_of_range_numbers_name_the_field(client, bearer, clinic):
    response = client.post(f"/api/v1/patients/{clinic.patient.id}/procedures",
                           headers=bearer("physician"),
                           json={"performed_at": "2026-01-15T09:30:00+00:00",
                                 "modality": "mri", "procedure_type": "tfesi",
                                 "punctures": 21, "dap_mgy_cm2": -1})
    errors = response.get_json()["errors"]
    assert response.status_code == 422
    assert {"modality", "punctures", "dap_mgy_cm2"} <= set(errors)


def test_too_many_rows_are_refused(client, bearer, clinic):
    response = client.post(f"/api/v1/patients/{clinic.patient.id}/procedures",
                           headers=bearer("physician"),
                           json={"performed_at": "2026-01-15T09:30:00+00:00",
                                 "modality": "ultrasound", "procedure_type": "tfesi",
                                 "punctures": 1,
                                 "targets": [{"level": "L4-L5", "side": "left"}] * 21})
    assert response.status_code == 422 and "targets" in response.get_json()["errors"]


def test_an_expired_token_is_refused(client, bearer, clinic):
    headers = bearer("nurse", days=1)
    assert client.get("/api/v1/patients", headers=headers).status_code == 200
    with time_machine.travel(datetime.now(UTC) + timedelta(days=2)):
        expired = client.get("/api/v1/patients", headers=headers)
    assert expired.status_code == 401 and expired.headers["WWW-Authenticate"]


def test_answers_never_contain_infinity():
    from flask import Flask

    provider = StrictJSONProvider(Flask(__name__))
    text = provider.dumps({"value": float("inf"), "nested": [float("nan"), 1.5]})
    assert text == '{"nested": [null, 1.5], "value": null}'


def test_the_schema_carries_enums_ranges_and_lengths(client):
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    procedure = schemas["ProcedureIn"]["properties"]
    assert "ct" in procedure["modality"]["enum"]
    assert procedure["punctures"]["maximum"] == 20
    dap = next(s for s in procedure["dap_mgy_cm2"]["anyOf"] if s.get("type") == "number")
    assert dap["maximum"] == 10_000_000
    note = next(s for s in procedure["notes"]["anyOf"] if s.get("type") == "string")
    assert note["maxLength"] == 2000
    entries = schemas["Entries"]["properties"]
    vas = next(s for s in entries["vas"]["anyOf"] if s.get("type") == "number")
    assert (vas["minimum"], vas["maximum"]) == (0, 10)


def test_a_correction_that_changes_nothing_is_refused_and_the_version_stays(client, bearer,
                                                                            clinic, db):
    headers = bearer("nurse")
    url = f"/api/v1/assessments/{clinic.due.id}/scores"
    saved = client.post(url, headers=headers, json={"version": clinic.due.version,
                                                    "missing_reason": NOT_ASKED,
                                                    "mode": "phone", "entries": {"vas": 3}})
    version = saved.get_json()["version"]
    assert version == clinic.due.version + 1, "one save, one version"
    same = client.put(url, headers=headers, json={"version": version, "mode": "phone",
                                                  "entries": {"vas": 3}, "reason": "checked"})
    assert same.status_code == 422 and "Nothing was changed" in same.get_json()["errors"][
        "reason"]
    db.expire_all()
    assert db.exec(select(Assessment.version).where(Assessment.id == clinic.due.id)).one() \
        == version


def _procedure(**changes):
    return {"performed_at": RECENT, "modality": "ultrasound", "procedure_type": "tfesi",
            "punctures": 1, "targets": [{"level": "L4-L5", "side": "left"}], **changes}


@pytest.mark.parametrize("depth", [900, 1000, 5000])
def test_a_deeply_nested_body_is_refused_not_a_500(client, bearer, clinic, depth):
    for body in ("[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth):
        response = client.patch(f"/api/v1/patients/{clinic.patient.id}", data=body,
                                headers={**bearer("nurse"), **RAW})
        assert response.status_code == 422 and response.is_json


@pytest.mark.parametrize("digits", [41, 4301, 5000])
def test_a_number_of_thousands_of_digits_is_named_as_such(client, bearer, clinic, digits):
    """Python's own refusal (over 4,300 digits) spoke of its interpreter's settings and
    was cut mid-sentence; a number far shorter is no value of any field either."""
    body = f'{{"version": {clinic.patient.version}, "reason": "typo", "bmi": {"9" * digits}}}'
    response = client.patch(f"/api/v1/patients/{clinic.patient.id}", data=body,
                            headers={**bearer("nurse"), **RAW})
    assert response.status_code == 422
    assert f"a number has {digits} digits (at most 40 are read)" in str(response.get_json())


@pytest.mark.parametrize("performed_at", ["9999-12-31T23:59:59+14:00",
                                          "0001-01-01T00:00:00+00:00",
                                          "1901-06-01T09:00:00+00:00", "2999-01-01T09:00:00Z",
                                          0, -1, 1700000000, True])
def test_procedure_dates_off_the_calendar_or_not_text_are_refused(client, bearer, clinic, db,
                                                                  performed_at):
    before = db.exec(select(Patient.version).where(Patient.id == clinic.patient.id)).one()
    response = client.post(f"/api/v1/patients/{clinic.patient.id}/procedures",
                           headers=bearer("physician"),
                           json=_procedure(performed_at=performed_at, confirm_warnings=True))
    assert response.status_code == 422 and "performed_at" in response.get_json()["errors"]
    assert db.exec(select(Patient.version).where(Patient.id == clinic.patient.id)).one() \
        == before


@pytest.mark.parametrize("field, value", [("dap_mgy_cm2", "30"), ("dap_mgy_cm2", True),
                                          ("operative_time_min", "12"),
                                          ("contrast_extravasation", "yes"),
                                          ("contrast_extravasation", 1)])
def test_numbers_and_booleans_must_be_json_numbers_and_booleans(client, bearer, clinic,
                                                                field, value):
    response = client.post(f"/api/v1/patients/{clinic.patient.id}/procedures",
                           headers=bearer("physician"), json=_procedure(**{field: value}))
    assert response.status_code == 422 and field in response.get_json()["errors"]


def test_an_integer_is_a_number(client, bearer, clinic):
    response = client.post(f"/api/v1/patients/{clinic.patient.id}/procedures",
                           headers=bearer("physician"),
                           json=_procedure(modality="fluoroscopy", dap_mgy_cm2=30,
                                           fluoroscopy_time_s=12, confirm_warnings=True))
    assert response.status_code == 201, response.get_json()


@pytest.mark.parametrize("text", ["\x1b[31mred", "name\u202egnp.exe", "bell\x07", "\ufeff",
                                  "zero\u200bwidth", "mark\u200f"])
def test_control_and_direction_characters_are_refused_in_json(client, bearer, clinic, text):
    response = client.patch(f"/api/v1/patients/{clinic.patient.id}", headers=bearer("nurse"),
                            json={"version": clinic.patient.version, "reason": "typo",
                                  "diagnosis": text})
    errors = response.get_json()["errors"]
    assert response.status_code == 422 and list(errors) == ["diagnosis"], errors  # not "body"
    assert "invisible control or text-direction character" in errors["diagnosis"]


@pytest.mark.parametrize("text", ["tram\x00adol", "tram\u202eadol"])
def test_a_nested_text_is_named_by_its_whole_path(client, bearer, clinic, text):
    """A NUL in a medication's drug was filed under "drug" (found trying the API as a new
    user would): which of the body's drugs, and under which field, did not say."""
    response = client.post(f"/api/v1/assessments/{clinic.due.id}/scores",
                           headers=bearer("nurse"),
                           json={"version": clinic.due.version, "mode": "phone",
                                 "entries": {"vas": 3},
                                 "medications": [{"med_class": "nsaid", "drug": "ibuprofen",
                                                  "daily_dose_mg": 400},
                                                 {"med_class": "opioid", "drug": text,
                                                  "daily_dose_mg": 100}]})
    errors = response.get_json()["errors"]
    assert response.status_code == 422 and list(errors) == ["medications.1.drug"], errors
    assert errors["medications.1.drug"].startswith("Nothing was saved: the text of "
                                                   "'medications.1.drug' holds ")


def test_a_key_holding_an_invisible_character_is_named_without_it(client, bearer, clinic):
    response = client.post(f"/api/v1/assessments/{clinic.due.id}/scores",
                           headers=bearer("nurse"),
                           json={"version": clinic.due.version, "mode": "phone",
                                 "entries": {"vas": 3},
                                 "medications": [{"med_class": "nsaid", "dr\u202eug": "x",
                                                  "daily_dose_mg": 400}]})
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["medications.0.drug"]


def test_a_complication_says_whether_the_procedure_caused_it(client, bearer, clinic):
    """Found re-testing as a new user would: the API stored 'related' when it was left
    out; the form asks it."""
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    response = client.post(f"/api/v1/assessments/{clinic.due.id}/scores",
                           headers=bearer("nurse"),
                           json={"version": clinic.due.version, "mode": "phone",
                                 "entries": {"vas": 3},
                                 "adverse_event": {"event_type": "hematoma",
                                                   "onset_on": yesterday, "severity": "mild"}})
    assert response.status_code == 422
    assert [k for k in response.get_json()["errors"] if "is_related" in k]


def test_a_missing_entries_field_is_named(client, bearer, clinic):
    """Found trying the API as a new user would: a body without "entries" was answered
    {"errors": {"body": "Field required"}}."""
    response = client.post(f"/api/v1/assessments/{clinic.due.id}/scores",
                           headers=bearer("nurse"),
                           json={"version": clinic.due.version, "mode": "in_clinic"})
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"entries": "required"}


def test_refusals_speak_to_a_program_not_of_a_page(client, bearer, clinic, app, monkeypatch):
    """Found trying the API as a new user would: a JSON 404 said "Find a patient with
    the search box above", a 403 "This page is for …", a 413 werkzeug's "capacity
    limit" without the limit."""
    nurse = bearer("nurse")
    other = client.get(f"/api/v1/patients/{clinic.other.id}", headers=nurse).get_json()
    assert "search box" not in other["message"] and "own site" in other["message"]
    refused = client.post(f"/api/v1/patients/{clinic.patient.id}/procedures",
                          headers=nurse, json={}).get_json()
    assert refused["message"].startswith("This address is for") and "page" not in \
        refused["message"]
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024 * 1024)
    big = client.post(f"/api/v1/assessments/{clinic.due.id}/scores", headers=nurse,
                      data=b"x" * (2 * 1024 * 1024), content_type="application/json")
    assert big.status_code == 413 and "(1 MB)" in big.get_json()["message"]


def test_a_birth_year_that_disagrees_with_the_age_is_named_at_the_birth_year(client, bearer,
                                                                             clinic, db):
    """Only the birth year was sent: the refusal was filed under age_at_enrollment, a
    field the program never touched (found trying the API as a new user would)."""
    age = clinic.patient.age_at_enrollment
    assert age is not None
    response = client.patch(f"/api/v1/patients/{clinic.patient.id}",
                            headers=bearer("coordinator"),
                            json={"version": clinic.patient.version, "reason": "Typo",
                                  "birth_year": 1930})
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert list(errors) == ["birth_year"]
    assert f"The age recorded is {age}" in errors["birth_year"]


def test_a_nurse_asking_for_another_site_is_told_not_answered_her_own(client, bearer, clinic):
    """site=SOUTH answered a north nurse with north's patients, as if filtered (found
    trying the API as a new user would); her own site, or none, is answered."""
    refused = client.get("/api/v1/patients?site=SOUTH", headers=bearer("nurse"))
    assert refused.status_code == 422
    assert "their own site only" in refused.get_json()["errors"]["site"]
    assert client.get("/api/v1/patients?site=NORTH", headers=bearer("nurse")).status_code == 200
    assert client.get("/api/v1/queries?site=SOUTH", headers=bearer("nurse")).status_code == 422


def test_a_long_value_shown_back_says_it_was_cut(client, bearer, clinic):
    response = client.get(f"/api/v1/patients?site={'A' * 41}", headers=bearer("coordinator"))
    assert response.status_code == 422
    assert f"No site '{'A' * 20}…'" in response.get_json()["errors"]["site"]


def test_a_query_the_rules_raise_on_a_corrected_value_stays_open(client, bearer, clinic, db):
    """Found trying the API as a new user would: an age corrected to 17 raised the
    'age outside the criteria' query and answered it in the same save, "Corrected, with
    the reason: typo fix"; nobody ever saw it open."""
    from clinic.models import DataQuery

    response = client.patch(f"/api/v1/patients/{clinic.patient.id}", headers=bearer("nurse"),
                            json={"version": clinic.patient.version, "reason": "typo fix",
                                  "age_at_enrollment": 10})
    assert response.status_code == 200, response.get_json()
    [query] = db.exec(select(DataQuery).where(DataQuery.patient_id == clinic.patient.id,
                                              DataQuery.rule == "age_outside_criterion")).all()
    assert query.status == "open"


def test_a_satisfaction_number_out_of_range_is_named_by_its_range(client, bearer, clinic):
    """Found trying the API as a new user would: satisfaction 0 was told to choose among
    the level codes, never that the number goes from 1 to 4; the schema wrote its range
    as "ge"/"le", which no validator reads."""
    response = client.post(f"/api/v1/assessments/{clinic.due.id}/scores",
                           headers=bearer("nurse"),
                           json={"version": clinic.due.version, "mode": "phone",
                                 "entries": {"vas": 3, "satisfaction_results": 0}})
    assert response.status_code == 422
    assert response.get_json()["errors"]["satisfaction_results"] == "must be ≥ 1"
    schema = client.get("/api/v1/openapi.json").get_json()
    branches = schema["components"]["schemas"]["Entries"]["properties"][
        "satisfaction_results"]["anyOf"]
    assert {"type": "integer", "minimum": 1, "maximum": 4} in branches
    assert '"ge"' not in str(schema).replace("'", '"')


def test_a_version_ahead_of_the_record_is_told_in_the_apis_words(client, bearer, clinic):
    """Found trying the API as a new user would: a version ahead of the record's was
    answered "a broken form; … Reload the page and enter the change again."."""
    response = client.patch(f"/api/v1/patients/{clinic.patient.id}", headers=bearer("nurse"),
                            json={"version": clinic.patient.version + 5, "reason": "typo",
                                  "diagnosis": "lumbar radiculopathy"})
    message = response.get_json()["message"]
    assert response.status_code == 422 and "page" not in message and "form" not in message
    assert message.endswith("a broken request; nothing was saved. Read the record again "
                            "(GET) and send the change with the version it returns."), message
