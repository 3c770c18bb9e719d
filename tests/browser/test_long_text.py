"""Typed text with no space to break at (a pasted code, a held-down key) wraps inside
its cell: found trying the screens as a new user would, a 230-character run in a query
made its page 2,264 px wide, a 300-character diagnosis the patient page 3,834 px."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from clinic.db import get_engine
from clinic.models import Patient
from clinic.queries.service import raise_query
from tests.browser.test_flows import log_in
from tests.factories import make_patient, make_procedure

RUN = "A" * 230


@pytest.fixture(scope="module")
def long_texts(live):
    with Session(get_engine(live.app), expire_on_commit=False) as session:
        patient, _ = make_patient(session, live.clinic.study, site=live.clinic.north,
                                  study_code="LONG-001")
        make_procedure(session, patient)
        patient = session.get(Patient, patient.id)
        patient.diagnosis = "D" * 300
        session.add(patient)
        query = raise_query(session, table="patient", row_id=patient.id, field="diagnosis",
                            text=f"Please check {RUN}",
                            actor_id=live.clinic.users["monitor"].id)
        session.commit()
        return patient.id, query.id


@pytest.mark.parametrize("width", [1280, 390])
def test_a_long_run_of_letters_does_not_widen_the_page(browser, live, long_texts, width):
    patient_id, query_id = long_texts
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    log_in(page, live, "coordinator")
    wide = {}
    for path in (f"/patients/{patient_id}", f"/queries/{query_id}", "/queries"):
        page.goto(f"{live.url}{path}")
        page.wait_for_load_state("load")  # measured with the stylesheet applied
        assert RUN[:40] in page.content() or path == "/queries"
        scroll = page.evaluate("document.documentElement.scrollWidth")
        if scroll > width:
            wide[path] = scroll
    context.close()
    assert not wide, f"wider than {width} px: {wide}"


DRUG = "oxycodone/naloxone prolonged-release tablets 20 mg/10 mg, twice daily"


@pytest.mark.parametrize("pasted, cut", [(DRUG, True), (DRUG[:40], False)])
def test_a_pasted_drug_name_longer_than_its_field_is_said_to_be_cut(browser, live, pasted,
                                                                    cut):
    """Found trying the screens as a new user would: a drug's name pasted into its field
    (60 characters) lost its end without a word. The browser still cuts it; a note under
    the field now says so, and a paste that fits says nothing."""
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    log_in(page, live, "nurse")
    page.goto(f"{live.url}/followup/{live.clinic.due.id}")
    page.wait_for_load_state("load")
    page.evaluate("text => navigator.clipboard.writeText(text)", pasted)
    page.focus("#med-0-drug")
    page.keyboard.press("Control+V")
    assert page.input_value("#med-0-drug") == pasted[:60]
    note = page.locator("#med-0-drug-cut")
    if cut:
        assert note.inner_text() == (f"The pasted text has {len(DRUG)} characters; this field "
                                     "keeps 60, and the rest was cut. Check what is left, or "
                                     "shorten it.")
        assert note.get_attribute("role") == "alert"
    else:
        assert note.count() == 0
    context.close()
