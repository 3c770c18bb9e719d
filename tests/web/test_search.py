"""Find a patient by what a caller says: part of the name (accents and case do not
matter), MRN, phone, date of birth, study code. Nurses see their own site only;
physicians search study codes only and see no names."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from clinic.models import PatientIdentity
from tests.web.helpers import login


def _name(db, clinic, name: str, **more) -> None:
    identity = db.exec(select(PatientIdentity).where(
        PatientIdentity.patient_id == clinic.patient.id)).one()
    identity.name = name
    for key, value in more.items():
        setattr(identity, key, value)
    db.add(identity)
    db.commit()


def test_a_nurse_finds_her_patient_by_part_of_the_name_without_accents(client, clinic, db):
    _name(db, clinic, "Zoë Müller-Lüdenscheidt", mrn="HOSP-77812", phone="+49 (0)30 555-0142",
          birth_date=date(1961, 4, 9))
    login(client, clinic.users["nurse"])
    for query in ("muller", "ZOE MÜL", "ludensch", "hosp-778", "555 0142", "09.04.1961",
                  "1961-04-09", clinic.patient.study_code.lower()):
        page = client.get("/search", query_string={"q": query}).get_data(as_text=True)
        assert "Zoë Müller-Lüdenscheidt" in page, query
        assert f'/patients/{clinic.patient.id}"' in page


def test_a_nurse_of_another_site_finds_nobody(client, clinic, db):
    _name(db, clinic, "Zoë Müller")
    login(client, clinic.users["nurse_south"])
    page = client.get("/search?q=muller").get_data(as_text=True)
    assert 'id="no-hits"' in page and "Zoë" not in page


def test_a_physician_searches_codes_and_sees_no_names(client, clinic, db):
    _name(db, clinic, "Zoë Müller")
    login(client, clinic.users["physician"])
    assert 'id="no-hits"' in client.get("/search?q=muller").get_data(as_text=True)
    page = client.get("/search", query_string={"q": clinic.patient.study_code}).get_data(
        as_text=True)
    assert clinic.patient.study_code in page and "Zoë" not in page and "<th scope=\"col\">Name" \
        not in page


def test_wildcards_are_searched_as_text(client, clinic, db):
    login(client, clinic.users["coordinator"])
    assert 'id="no-hits"' in client.get("/search?q=%25%25").get_data(as_text=True)
    assert 'id="no-hits"' in client.get("/search?q=__").get_data(as_text=True)


def test_a_number_search_puts_the_study_code_first_and_says_what_else_matched(client, clinic,
                                                                              db):
    """"0002" is a study code's number and part of many phone numbers: the patient with
    that code comes first, the others say they were found by their phone."""
    number = "".join(filter(str.isdigit, clinic.other.study_code))[-4:]
    assert len(number) == 4 and number not in clinic.patient.study_code
    assert clinic.patient.study_code < clinic.other.study_code  # by code, it came first
    _name(db, clinic, "Ana Lima", phone=f"+351 21 55{number}9")
    login(client, clinic.users["coordinator"])
    page = client.get("/search", query_string={"q": number}).get_data(as_text=True)
    rows = page.split('<tbody>')[1].split("</tr>")
    assert clinic.other.study_code in rows[0] and "study code" in rows[0]
    # on a phone each hit is a card of labelled fields ("Found by" was off-screen, found
    # trying the screens as a new user would)
    assert 'class="grid cards"' in page and 'data-label="Found by"' in rows[0]
    assert clinic.patient.study_code in rows[1] and ">phone<" in rows[1]


def test_a_code_with_a_space_a_surname_first_and_a_date_with_slashes_are_found(client,
                                                                               clinic, db):
    """Found trying the screens as a new user would: "USFX 003", "Walkley Carmen" and
    "1985/02/01" found nobody (while "usfx-003", "Carmen Walkley" and "01.02.1985" did)."""
    _name(db, clinic, "Carmen Walkley", birth_date=date(1985, 2, 1))
    login(client, clinic.users["coordinator"])
    spaced = clinic.patient.study_code.replace("-", " ")
    for query in (spaced, "Walkley Carmen", "walkley  CARMEN", "1985/02/01"):
        page = client.get("/search", query_string={"q": query}).get_data(as_text=True)
        assert f'/patients/{clinic.patient.id}"' in page, query
    page = client.get("/search", query_string={"q": "Walkley Maria"}).get_data(as_text=True)
    assert 'id="no-hits"' in page  # every word must match


def test_a_code_typed_without_its_leading_zeros_is_found_first(client, clinic, db):
    """Found trying the screens as a new user would: "USFX-3" found nothing (the code is
    USFX-003). The padded code comes before a code that only contains the number."""
    prefix, number = clinic.other.study_code.split("-")
    short = int(number)
    login(client, clinic.users["coordinator"])
    for query in (f"{prefix}-{short}", f"{prefix.lower()} {short}", f"{prefix}{short}",
                  f"{prefix}{number}"):  # T0056 and T2829 (no padding missing) alike
        page = client.get("/search", query_string={"q": query}).get_data(as_text=True)
        assert '<tbody>' in page, query
        rows = page.split('<tbody>')[1].split("</tr>")
        assert clinic.other.study_code in rows[0], query
    page = client.get("/search", query_string={"q": f"{prefix}-{short}9"}).get_data(
        as_text=True)
    assert f'/patients/{clinic.other.id}"' not in page  # another number, not a prefix of it


def test_a_slashed_date_a_comma_and_a_code_are_read_as_meant(client, clinic, db):
    """Found trying the screens as a new user would: 03/07/1961 found the 3rd of July
    only (a patient born on the 7th of March, written the US way, was not found);
    "Walkley, Carmen" (surname first, with its comma) found nobody; and a full study
    code listed every patient whose phone number held its digits."""
    digits = "".join(filter(str.isdigit, clinic.other.study_code))
    _name(db, clinic, "Carmen Walkley", birth_date=date(1961, 3, 7), phone=f"+1 555 {digits} 7")
    login(client, clinic.users["coordinator"])
    for query in ("07/03/1961", "03/07/1961", "Walkley, Carmen", "walkley,carmen"):
        page = client.get("/search", query_string={"q": query}).get_data(as_text=True)
        assert f'/patients/{clinic.patient.id}"' in page, query
    code = clinic.other.study_code
    page = client.get("/search", query_string={"q": code}).get_data(as_text=True)
    assert f'/patients/{clinic.patient.id}"' not in page, "not by the code's digits in a phone"
    assert f'/patients/{clinic.other.id}"' in page
