"""FHIR export: every resource parses with fhir.resources (R4B models); every code and
UCUM unit used is in the table below; the ODI of a QuestionnaireResponse equals the
app's ODI with a skipped section; identity only for roles that see it, on request."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlmodel import Session, select

from clinic.audit import set_actor
from clinic.db import get_engine
from clinic.followup.medications import MedicationInput, add_medications
from clinic.followup.service import record_follow_up
from clinic.models import Assessment, Patient, PatientIdentity, Score, StudyTimepoint
from clinic.safety.service import record_adverse_event
from clinic.scoring.disability import ODI_SECTIONS
from tests.api.conftest import bearer  # noqa: F401  (fixture)

# one ODI with section 8 skipped: 2+1+2+1+1+2+1+2+3 = 15 of 45 → 33.3 %
ODI = [2, 1, 2, 1, 1, 2, 1, None, 2, 3]
# every (system, code) a coding or Quantity of the export may carry
EXPECTED_CODES = {
    ("http://loinc.org", "72514-3"), ("http://loinc.org", "97909-6"),
    ("http://loinc.org", "97908-8"), ("http://loinc.org", "73569-6"),
    ("http://dicom.nema.org/resources/ontology/DCM", "113722"),
    ("http://dicom.nema.org/resources/ontology/DCM", "113730"),
    ("http://dicom.nema.org/resources/ontology/DCM", "113813"),
    ("http://dicom.nema.org/resources/ontology/DCM", "113830"),
    ("http://dicom.nema.org/resources/ontology/DCM", "RF"),
    ("http://dicom.nema.org/resources/ontology/DCM", "CT"),
    ("http://terminology.hl7.org/CodeSystem/observation-category", "survey"),
    ("http://terminology.hl7.org/CodeSystem/observation-category", "procedure"),
    ("https://clinic.invalid/fhir/CodeSystem/procedure-type", "tfesi_prf"),
    ("https://clinic.invalid/fhir/CodeSystem/spinal-level", "L4-L5"),
    ("https://clinic.invalid/fhir/CodeSystem/instrument", "satisfaction_results"),
    ("https://clinic.invalid/fhir/CodeSystem/instrument", "ome"),
    ("https://clinic.invalid/fhir/CodeSystem/satisfaction", "satisfied"),
    ("https://clinic.invalid/fhir/CodeSystem/adverse-event-type", "hematoma"),
    ("https://clinic.invalid/fhir/CodeSystem/adverse-event-severity", "life_threatening"),
    ("http://terminology.hl7.org/CodeSystem/adverse-event-outcome", "ongoing"),
    ("https://clinic.invalid/fhir/CodeSystem/related-to-procedure", "not-related"),
    ("https://clinic.invalid/fhir/CodeSystem/analgesic-class", "opioid"),
}
EXPECTED_UNITS = {("http://unitsofmeasure.org", "{score}"), ("http://unitsofmeasure.org", "%"),
                  ("http://unitsofmeasure.org", "mg/d"),
                  ("http://unitsofmeasure.org", "mGy.cm2"), ("http://unitsofmeasure.org", "s"),
                  ("http://unitsofmeasure.org", "mGy.cm"), ("http://unitsofmeasure.org", "mGy")}


@pytest.fixture
def recorded(app, clinic):
    """The patient's 1-month visit with VAS 4 and an ODI with one skipped section."""
    with Session(get_engine(app), expire_on_commit=False) as db:
        visit = db.exec(select(Assessment).join(StudyTimepoint).where(
            Assessment.patient_id == clinic.patient.id,
            StudyTimepoint.code == "month_1")).one()
        set_actor(db, clinic.users["nurse"].id, None)
        record_follow_up(db, assessment=visit, mode="phone", actor_id=clinic.users["nurse"].id,
                         entries={"vas": 4, "odi": {s.code: v for s, v in
                                                    zip(ODI_SECTIONS, ODI, strict=True)},
                                  "satisfaction_results": "satisfied", "ome": 15})
        add_medications(db, visit, [MedicationInput("opioid", "tramadol", 150.0)])
        record_adverse_event(db, patient=db.get(Patient, clinic.patient.id),
                             event_type="hematoma", onset_on=visit.window_open,
                             severity="life_threatening", is_related=False,
                             procedure_id=visit.procedure_id, notes="told by Ms X")
        db.commit()
        odi = db.exec(select(Score).where(Score.assessment_id == visit.id,
                                          Score.instrument == "odi")).one()
    return clinic, odi


def _parse(resource: dict) -> object:
    kind = resource["resourceType"]
    module = importlib.import_module(f"fhir.resources.R4B.{kind.lower()}")
    return getattr(module, kind).model_validate(resource)


def _walk(value, codes: set, units: set) -> None:
    if isinstance(value, dict):
        if "coding" in value:
            codes |= {(c["system"], c["code"]) for c in value["coding"]}
        if "unit" in value and "system" in value:
            units.add((value["system"], value["code"]))
        for item in value.values():
            _walk(item, codes, units)
    elif isinstance(value, list):
        for item in value:
            _walk(item, codes, units)


def _diagnostics(response) -> str:
    """The message of a FHIR error, an OperationOutcome (checked with fhir.resources)."""
    assert response.mimetype == "application/fhir+json"
    outcome = _parse(response.json)
    assert outcome.issue[0].code == {401: "login", 403: "forbidden", 404: "not-found",
                                     422: "invalid"}[response.status_code]
    return outcome.issue[0].diagnostics


def _bundle(client, headers, patient_id: int, query: str = "") -> dict:
    response = client.get(f"/api/v1/fhir/Patient/{patient_id}/$everything{query}",
                          headers=headers)
    assert response.status_code == 200 and response.mimetype == "application/fhir+json"
    return json.loads(response.data)


def test_every_resource_parses_and_every_code_is_known(app, client, recorded, bearer):  # noqa: F811
    clinic, _odi = recorded
    codes: set = set()
    units: set = set()
    kinds = set()
    for patient in (clinic.patient, clinic.other):
        bundle = _bundle(client, bearer("physician"), patient.id)
        _parse(bundle)
        for entry in bundle["entry"]:
            _parse(entry["resource"])
            kinds.add(entry["resource"]["resourceType"])
            resource = entry["resource"]  # an absolute URL on this server (FHIR R4 Bundle)
            assert entry["fullUrl"] == (f"{app.config['PUBLIC_URL'].rstrip('/')}/api/v1/fhir/"
                                        f"{resource['resourceType']}/{resource['id']}")
        _walk(bundle, codes, units)
    assert kinds == {"Patient", "Procedure", "Observation", "Questionnaire",
                     "QuestionnaireResponse", "AdverseEvent", "MedicationStatement"}
    assert codes <= EXPECTED_CODES, codes - EXPECTED_CODES
    assert EXPECTED_CODES - codes <= {  # (of other modalities)
        ("http://dicom.nema.org/resources/ontology/DCM", c) for c in ("CT", "113813", "113830")}
    assert "Ms X" not in json.dumps(bundle)  # an adverse event's notes are not exported
    assert {("http://loinc.org", "72514-3"), ("http://loinc.org", "97909-6"),
            ("http://loinc.org", "73569-6")} <= codes
    assert units <= EXPECTED_UNITS and ("http://unitsofmeasure.org", "%") in units
    quantities = []
    _collect_quantities(bundle, quantities)
    assert quantities and all(q.get("system") == "http://unitsofmeasure.org"
                              for q in quantities)


def _dicts(value) -> Iterator[dict]:
    """Every JSON object in ``value``, nested ones included."""
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _dicts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _dicts(item)


def _collect_quantities(value, found: list) -> None:
    found += [d["valueQuantity"] for d in _dicts(value) if "valueQuantity" in d]


def test_the_odi_of_the_questionnaire_response_equals_the_apps(client, recorded,
                                                                bearer):  # noqa: F811
    clinic, odi = recorded
    bundle = _bundle(client, bearer("nurse"), clinic.patient.id)
    [response] = [e["resource"] for e in bundle["entry"]
                  if e["resource"]["resourceType"] == "QuestionnaireResponse"]
    answers = [i["answer"][0]["valueInteger"] for i in response["item"]
               if i["linkId"].startswith("section-") and "answer" in i]
    assert len(answers) == 9 and len(response["item"]) == 11  # 10 sections and the total
    from_response = Decimal(sum(answers)) / (5 * len(answers)) * 100
    assert abs(float(from_response) - odi.value) < 0.1
    assert round(float(from_response), 1) == 33.3
    [observation] = [e["resource"] for e in bundle["entry"]
                     if e["resource"]["id"] == f"score-{odi.id}"]
    assert observation["derivedFrom"] == [{"reference": f"QuestionnaireResponse/qr-{odi.id}"}]
    assert observation["valueQuantity"]["value"] == odi.value


def test_a_corrected_score_reads_amended_the_others_final(app, client, recorded,
                                                          bearer):  # noqa: F811
    """Found trying the API as a new user would: a VAS corrected twice still read "final";
    a receiving system could not tell it had changed."""
    from clinic.followup.editing import edit_follow_up

    clinic, odi = recorded
    with Session(get_engine(app), expire_on_commit=False) as db:
        visit = db.get(Assessment, odi.assessment_id)
        odi_entry = {s.code: v for s, v in zip(ODI_SECTIONS, ODI, strict=True)}
        edit_follow_up(db, assessment=visit, read_version=visit.version,
                       entries={"vas": 6, "odi": odi_entry, "ome": 15,
                                "satisfaction_results": "satisfied"}, mode="phone",
                       reason="VAS misread", actor_id=clinic.users["nurse"].id)
        db.commit()
        vas = db.exec(select(Score).where(Score.assessment_id == visit.id,
                                          Score.instrument == "vas")).one()
    bundle = _bundle(client, bearer("nurse"), clinic.patient.id)
    status = {e["resource"]["id"]: e["resource"]["status"] for e in bundle["entry"]
              if e["resource"]["resourceType"] == "Observation"}
    assert (status[f"score-{vas.id}"], status[f"score-{odi.id}"]) == ("amended", "final")
    _parse(next(e["resource"] for e in bundle["entry"]
                if e["resource"]["id"] == f"score-{vas.id}"))  # a valid R4B Observation


def test_identity_only_on_request_and_only_for_roles_that_see_it(app, client, recorded,
                                                                 bearer):  # noqa: F811
    clinic, _ = recorded
    with Session(get_engine(app)) as db:
        name = db.exec(select(PatientIdentity.name).where(
            PatientIdentity.patient_id == clinic.patient.id)).one()

    def patient_of(bundle: dict) -> dict:
        return next(e["resource"] for e in bundle["entry"]
                    if e["resource"]["resourceType"] == "Patient")

    plain = patient_of(_bundle(client, bearer("nurse"), clinic.patient.id))
    assert "name" not in plain and plain["identifier"][0]["value"] == clinic.patient.study_code
    refused = client.get(f"/api/v1/fhir/Patient/{clinic.patient.id}/$everything"
                         "?identity=true", headers=bearer("physician"))
    assert refused.status_code == 403 and name not in refused.get_data(as_text=True)
    assert "does not see identity" in _diagnostics(refused)
    named = patient_of(_bundle(client, bearer("nurse"), clinic.patient.id, "?identity=true"))
    assert named["name"] == [{"text": name}]
    assert client.get(f"/api/v1/fhir/Patient/{clinic.other.id}/$everything",
                      headers=bearer("nurse")).status_code == 404  # another site


def test_the_bulk_export_writes_ndjson_that_parses(app, recorded, tmp_path):
    clinic, _ = recorded
    result = app.test_cli_runner().invoke(args=["fhir", "export", "--study", clinic.study.code,
                                                "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == ["AdverseEvent.ndjson", "MedicationStatement.ndjson", "Observation.ndjson",
                     "Patient.ndjson", "Procedure.ndjson", "Questionnaire.ndjson",
                     "QuestionnaireResponse.ndjson"]
    lines = 0
    for path in (tmp_path / "out").iterdir():
        for line in path.read_text().splitlines():
            _parse(json.loads(line))
            lines += 1
    assert f"Patient {2}" in result.output and lines > 5
    bad = app.test_cli_runner().invoke(args=["fhir", "export", "--study", "NOPE", "--out",
                                             str(tmp_path / "x")])
    assert bad.exit_code == 2 and "NOPE" in bad.output and "--study" in bad.output


def test_the_export_of_a_study_without_patients_says_so(app, session, tmp_path):
    """It printed 'FHIR export of APIOK to …:  (0.13 s)', nothing after the colon
    (found trying the command line as a new user would)."""
    from dataclasses import replace

    from tests.factories import DEMO_STUDY, make_study

    make_study(session, replace(DEMO_STUDY, code="EMPTY"))
    session.commit()
    result = app.test_cli_runner().invoke(args=["fhir", "export", "--study", "EMPTY",
                                                "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "nothing: the study has no patients yet" in result.output


def test_an_out_that_reads_as_a_file_name_is_refused(app, session, tmp_path):
    """`--out fhir.ndjson` made a folder of that name (found trying the command line as a
    new user would); a folder is named as one."""
    result = app.test_cli_runner().invoke(args=["fhir", "export", "--study", "ANY",
                                                "--out", str(tmp_path / "fhir.ndjson")])
    assert result.exit_code == 2 and "reads as a file name" in result.output
    assert "name a folder, such as" in result.output and not (tmp_path / "fhir.ndjson").exists()


def test_the_full_urls_do_not_follow_the_host_header(app, client, recorded, bearer):  # noqa: F811
    """Found trying the API as a new user would: a request with "Host: evil.example" got
    fullUrls on evil.example, and the same resources read through another host name got
    other URLs."""
    clinic, _ = recorded
    bundle = json.loads(client.get(f"/api/v1/fhir/Patient/{clinic.patient.id}/$everything",
                                   headers={**bearer("nurse"), "Host": "evil.example"}).data)
    assert "evil.example" not in json.dumps(bundle)
    assert all(e["fullUrl"].startswith(app.config["PUBLIC_URL"].rstrip("/") + "/api/v1/fhir/")
               for e in bundle["entry"])


def _references(value, found: set) -> None:
    found |= {d["reference"] for d in _dicts(value) if isinstance(d.get("reference"), str)}


def test_every_full_url_and_reference_of_the_bundle_resolves(app, client, recorded,
                                                             bearer):  # noqa: F811
    """Found trying the API as a new user would: each entry's fullUrl (an absolute URL on
    this server) and each reference between the resources (Patient/12) answered 404."""
    clinic, _ = recorded
    headers = bearer("physician")
    bundle = _bundle(client, headers, clinic.patient.id)
    public = app.config["PUBLIC_URL"].rstrip("/")
    kinds, references = set(), set()
    for entry in bundle["entry"]:
        read = client.get(entry["fullUrl"].removeprefix(public), headers=headers)
        assert read.status_code == 200, entry["fullUrl"]
        assert read.mimetype == "application/fhir+json"
        assert json.loads(read.data) == entry["resource"]
        _parse(json.loads(read.data))
        kinds.add(entry["resource"]["resourceType"])
        _references(entry["resource"], references)
    assert kinds == {"Patient", "Procedure", "Observation", "Questionnaire",
                     "QuestionnaireResponse", "AdverseEvent", "MedicationStatement"}
    assert any(r.startswith("Patient/") for r in references)
    for reference in references:
        assert client.get(f"/api/v1/fhir/{reference}", headers=headers).status_code == 200


def test_a_resource_read_on_its_own_keeps_the_records_rules(app, client, recorded,
                                                            bearer):  # noqa: F811
    clinic, odi = recorded
    nurse = bearer("nurse")
    other = _bundle(client, bearer("physician"), clinic.other.id)  # at another site
    messages = set()  # found trying the API as a new user would: "No Observation score-99999"
    for entry in other["entry"]:  # beside "Not found at your site" told what exists there
        if entry["resource"]["resourceType"] != "Questionnaire":
            kind, key = entry["resource"]["resourceType"], entry["resource"]["id"]
            answer = client.get(f"/api/v1/fhir/{kind}/{key}", headers=nurse)
            assert answer.status_code == 404
            messages.add(_diagnostics(answer))
            number = int(key.rsplit("-", 1)[-1]) + 100_000
            nowhere = client.get(f"/api/v1/fhir/{kind}/{key[:-len(str(number - 100_000))]}"
                                 f"{number}", headers=nurse)
            assert nowhere.status_code == 404
            messages.add(_diagnostics(nowhere))
    assert len(messages) == 1 and "your site" in messages.pop()
    with Session(get_engine(app)) as db:
        name = db.exec(select(PatientIdentity.name).where(
            PatientIdentity.patient_id == clinic.patient.id)).one()
    patient = f"/api/v1/fhir/Patient/{clinic.patient.id}"
    assert "name" not in client.get(patient, headers=nurse).json
    assert client.get(f"{patient}?identity=true", headers=nurse).json["name"] == [
        {"text": name}]
    refused = client.get(f"{patient}?identity=true", headers=bearer("physician"))
    assert refused.status_code == 403 and name not in refused.get_data(as_text=True)
    for path in ("Encounter/1", "Observation/ae-1", "Observation/score-x",
                 "Observation/score-99999999999", "Observation/score-99999",
                 f"Observation/qr-{odi.id}", f"QuestionnaireResponse/score-{odi.id}",
                 "Procedure/dose-1", "Questionnaire/vas", "Patient/-1", "Patient/1.0"):
        answer = client.get(f"/api/v1/fhir/{path}", headers=nurse)
        assert answer.status_code == 404, path
        assert _diagnostics(answer)
    assert client.get(f"/api/v1/fhir/QuestionnaireResponse/qr-{odi.id}",
                      headers=nurse).json["questionnaire"].endswith("odi")
    assert client.get("/api/v1/fhir/Patient/1").status_code == 401  # no token


def test_every_fhir_error_is_an_operation_outcome(app, client, recorded, bearer):  # noqa: F811
    """Found trying the API as a FHIR client would: its errors were the API's own JSON
    ({"message", "errors"}), which a FHIR client does not read; they are OperationOutcomes,
    with the status, the headers and the words as before."""
    clinic, _odi = recorded
    patient = f"/api/v1/fhir/Patient/{clinic.patient.id}"
    anonymous = client.get(patient)
    assert anonymous.status_code == 401 and "Bearer" in anonymous.headers["WWW-Authenticate"]
    assert "API token" in _diagnostics(anonymous)
    elsewhere = client.get(f"/api/v1/fhir/Patient/{clinic.other.id}", headers=bearer("nurse"))
    assert "your site" in _diagnostics(elsewhere)
    unknown = client.get("/api/v1/fhir/Encounter/1", headers=bearer("nurse"))
    assert "not a resource type served here" in _diagnostics(unknown)
    refused = client.get(f"{patient}/$everything?identity=yes&colour=red",
                         headers=bearer("nurse"))
    assert "refused" in _diagnostics(refused)
    fields = {issue["expression"][0]: issue["diagnostics"]
              for issue in refused.json["issue"][1:]}
    assert fields == {"colour": "Unknown query parameter: this address takes identity.",
                      "identity": "Choose true or false."}
    posted = client.post(patient, headers=bearer("nurse"))
    assert posted.status_code == 405 and "GET" in posted.headers["Allow"]
    assert posted.mimetype == "application/fhir+json"
    assert _parse(posted.json).issue[0].code == "not-supported"
    other = client.get("/api/v1/patients/999999", headers=bearer("nurse"))  # not FHIR
    assert other.mimetype == "application/json" and other.json["message"]


def test_an_operation_outcome_names_each_field_and_the_status_kind():
    from clinic.fhir.outcome import issue_type, operation_outcome

    outcome = operation_outcome(500, "", {"x": "bad"})
    assert outcome["issue"] == [
        {"severity": "fatal", "code": "exception", "diagnostics": "HTTP 500"},
        {"severity": "fatal", "code": "exception", "diagnostics": "bad", "expression": ["x"]}]
    assert _parse(outcome)
    assert [issue_type(s) for s in (404, 409, 423, 418, 503)] == [
        "not-found", "conflict", "lock-error", "processing", "exception"]


def test_an_error_quoting_what_the_request_sent_is_an_operation_outcome_too(
        client, recorded, bearer):  # noqa: F811
    """Found trying the API as a FHIR client would: a NUL or an invisible character in
    the address made the error's own JSON unreadable to the app's strict reader, and it
    went out as the API's JSON; and the type or id asked for was said back whole (3,000
    characters). Now an OperationOutcome every time, the request's text cut at 40
    characters and without invisible characters."""
    nurse = bearer("nurse")
    for path in ("Questionnaire/a%00", "Questionnaire/a%E2%80%AE", "Foo%00/1",
                 "Fo%0Ao%E2%80%AE%00/1", f"Questionnaire/{'x' * 3000}", f"{'Z' * 3000}/1"):
        answer = client.get(f"/api/v1/fhir/{path}", headers=nurse)
        assert answer.status_code == 404, path
        said = _diagnostics(answer)
        assert len(said) < 200 and "\x00" not in said and "\u202e" not in said, said
    assert _diagnostics(client.get(f"/api/v1/fhir/Questionnaire/{'x' * 3000}",
                                   headers=nurse)).startswith(f"No Questionnaire {'x' * 40}…")


def test_the_outcome_hook_reads_an_error_whatever_its_message_holds(app):
    """The hook reads the error back with the plain JSON reader: the app's strict one
    refuses a NUL or an invisible character, which a message may quote."""
    from clinic.api.fhir import _errors_as_operation_outcomes
    from clinic.errors import json_error

    with app.test_request_context("/api/v1/fhir/Patient/1"):
        answer = _errors_as_operation_outcomes(json_error(404, "No x\x00\u202e", {"a": "b"}))
    assert answer.mimetype == "application/fhir+json"
    outcome = json.loads(answer.get_data())
    assert _parse(outcome) and [i["diagnostics"] for i in outcome["issue"]] == [
        "No x\x00\u202e", "b"]
