"""The patient list: its total comes from the enrollment tallies, a search by study code
is not counted and says how many it shows, and both page to the end."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session

from clinic.db import get_engine
from clinic.demo.bulk import bulk_seed
from clinic.demo.staff import DEMO_PASSWORD


@pytest.fixture
def physician(app):
    with Session(get_engine(app)) as session:
        bulk_seed(session, 70, code="LIST")
        session.commit()
    client = app.test_client()
    response = client.post("/login", data={"email": "physician@demo.invalid",
                                           "password": DEMO_PASSWORD})
    assert response.status_code == 302
    return client


def _pages(client, url: str) -> list[str]:
    texts = []
    while url:
        page = client.get(url).get_data(as_text=True)
        texts.append(re.sub(r"\s+", " ", page))
        found = re.search(r'<a rel="next" href="([^"]+)"', page)
        url = found.group(1).replace("&amp;", "&") if found else ""
    return texts


def test_the_total_and_its_pages(physician):
    first, second = _pages(physician, "/patients")
    assert "70 patients: 50 on this page, in study-code order." in first
    assert "70 patients: 20 on this page" in second


def test_a_search_by_code_is_shown_without_a_count(physician):
    first, second = _pages(physician, "/patients?code=list")
    assert "Patients whose study code contains “list”: 50 on this page" in first
    assert "Patients whose study code contains “list”: 20 on this page" in second
    [one] = _pages(physician, "/patients?code=LIST-00001")  # ten, on one page
    assert "contains “LIST-00001”: 10." in one
    [none] = _pages(physician, "/patients?code=no-such-code")
    assert "contains “no-such-code”: none." in none


def test_percent_and_underscore_are_plain_characters_and_spaces_are_trimmed(physician):
    for wildcard in ("%", "_", "LIST_0000", "%20"):
        [page] = _pages(physician, f"/patients?code={wildcard.replace('%', '%25')}")
        assert ": none." in page, wildcard
    [page] = _pages(physician, "/patients?code=%20LIST-00001%20")
    assert "contains “LIST-00001”: 10." in page


def test_a_cursor_past_the_last_match_says_no_more(physician):
    from clinic.paging import encode_cursor

    cursor = encode_cursor(["ZZZ", 10**6])
    page = physician.get(f"/patients?code=LIST&cursor={cursor}").get_data(as_text=True)
    assert "contains “LIST”: no more." in page


def test_a_search_with_a_hidden_character_is_run_without_it(physician):
    response = physician.get("/patients?code=LI%E2%80%AEST")
    assert response.status_code == 303 and response.headers["Location"] == "/patients?code=LIST"
    text = physician.get(response.headers["Location"]).get_data(as_text=True)
    assert "held an invisible character" in text and "nothing was saved" not in text
