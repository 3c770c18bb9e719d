"""Lists kept to one study by its code: the patient list (its API in
tests/api/test_api_pages.py) and the report index; a trailing slash on a list's address
is the list, not a 404."""

from __future__ import annotations

import re

from sqlmodel import Session, select

from clinic.db import get_engine
from clinic.demo.bulk import bulk_seed
from clinic.models import Patient, Study
from tests.web.helpers import login


def _codes(html: str) -> set[str]:
    return set(re.findall(r">([A-Z]+-\d+)</a></td>", html))


def second_study(app) -> set[str]:
    with Session(get_engine(app)) as session:
        bulk_seed(session, 6, code="OTHER")
        session.commit()
        sid = session.exec(select(Study.id).where(Study.code == "OTHER")).one()
        return set(session.exec(select(Patient.study_code).where(Patient.study_id == sid)))


def test_the_patient_list_is_kept_to_the_study_asked(client, clinic, app):
    other = second_study(app)
    login(client, clinic.users["coordinator"])
    every = client.get("/patients?study=").get_data(as_text=True)
    assert other <= _codes(every) and _codes(every) - other
    page = client.get("/patients?study=other")  # a code in any case
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert _codes(html) == other
    assert "6 patients" in html
    assert '<option value="OTHER" selected>' in html


def test_an_unknown_study_in_the_patient_list_is_a_404_naming_it(client, clinic):
    login(client, clinic.users["coordinator"])
    response = client.get("/patients?study=NOPE")
    assert response.status_code == 404
    assert "No study &#39;NOPE&#39;" in response.get_data(as_text=True)


def test_the_report_index_takes_a_study_code_and_its_address_any_case(client, clinic):
    login(client, clinic.users["physician"])
    code = clinic.study.code
    for asked, lands in ((f"/reports?study={code.lower()}", f"/studies/{code}/report"),
                         (f"/studies/{code.lower()}/report?arms=A&arms=B",
                          f"/studies/{code}/report?arms=A&arms=B"),
                         (f"/studies/{code.lower()}/report.pdf", f"/studies/{code}/report.pdf")):
        response = client.get(asked)
        assert response.status_code == 302 and response.headers["Location"].endswith(lands)
    assert client.get("/reports?study=NOPE").status_code == 404


def test_a_report_redirect_keeps_every_parameter_as_a_parameter(client, clinic):
    """The study's report address in another case, or /reports?study=, redirect with
    the request's parameters: put into url_for they could name its own arguments (a
    500 for ``endpoint``, a link to another host for ``_external``)."""
    login(client, clinic.users["physician"])
    code = clinic.study.code
    for asked in (f"/studies/{code.lower()}/report?study=x&endpoint=y&_external=1",
                  f"/reports?study={code}&endpoint=y&_method=POST&_anchor=z"):
        response = client.get(asked)
        assert response.status_code == 302, asked
        location = response.headers["Location"]
        assert location.startswith(f"/studies/{code}/report?"), location
        assert "endpoint=y" in location and "#" not in location


def test_a_list_address_with_a_trailing_slash_is_the_list(client, clinic):
    login(client, clinic.users["coordinator"])
    assert client.get("/patients/").status_code == 200
    assert client.get("/reports/").status_code == 200


def test_a_study_code_of_odd_digits_or_a_huge_number_is_no_study(client, clinic):
    """Found attacking the lists: "³" is a digit to Python but no number (a 500), and a
    23-digit id overflowed the database's integer (a 500)."""
    login(client, clinic.users["coordinator"])
    for code in ("%C2%B3", "99999999999999999999999"):
        for url in (f"/patients?study={code}", f"/reports?study={code}"):
            assert client.get(url).status_code == 404, url
    assert client.get(f"/patients?study={clinic.study.id}").status_code == 200  # an id


def test_a_procedure_form_row_numbered_in_odd_digits_is_no_row():
    from clinic.web.procedure_form import _index

    assert _index("target-²-level") is None and _index("target-2-level") == 2


def test_the_patient_list_takes_a_site_by_code_and_names_an_unknown_one(client, clinic):
    """Found attacking the lists: site=NORTH or site=abc showed every site's patients
    without a word."""
    login(client, clinic.users["coordinator"])
    by_id = client.get(f"/patients?site={clinic.north.id}").get_data(as_text=True)
    by_code = client.get(f"/patients?site={clinic.north.code.lower()}")
    assert by_code.status_code == 200 and _codes(by_code.get_data(as_text=True)) == \
        _codes(by_id)
    assert clinic.patient.study_code in _codes(by_id)
    assert clinic.other.study_code not in _codes(by_id)
    unknown = client.get("/patients?site=MARS")
    assert unknown.status_code == 404 and "No site &#39;MARS&#39;" in unknown.get_data(
        as_text=True)


def test_a_nurse_asking_for_another_site_is_told_she_sees_her_own(client, clinic):
    login(client, clinic.users["nurse"])
    page = client.get(f"/patients?site={clinic.south.code}").get_data(as_text=True)
    assert "You see the patients of your own site only." in page
    assert clinic.other.study_code not in _codes(page)


def test_the_report_index_keeps_the_filters_it_is_given(client, clinic):
    """Found testing as a new user would: /reports?study=demo&arms=Z redirected to the
    whole study's report, the filters dropped without a word."""
    login(client, clinic.users["physician"])
    response = client.get(f"/reports?study={clinic.study.code}&arms=Z&sites=NORTH")
    assert response.headers["Location"].endswith(
        f"/studies/{clinic.study.code}/report?arms=Z&sites=NORTH")
    assert client.get(response.headers["Location"]).status_code == 422
