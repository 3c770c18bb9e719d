"""The status grid, the cohort view, administration and API tokens."""

from __future__ import annotations

import html
import re

from sqlmodel import select

from clinic.models import ApiToken, User
from tests.web.helpers import login


def _cell(page: str, code: str) -> list[str]:
    row = re.search(rf"{code}</a></th>(.*?)</tr>", page, re.S)
    assert row, code
    return re.findall(r'class="cell status-(\w+)"', row.group(1))


def test_a_completed_follow_up_shows_as_completed_in_the_grid(client, clinic):
    login(client, clinic.users["nurse"])
    before = _cell(client.get("/grid").get_data(as_text=True), clinic.patient.study_code)
    assert before[3] == "due"
    client.post(f"/followup/{clinic.due.id}", data={"mode": "phone", "vas": "3",
                                                    "version": clinic.due.version,
                                                    "missing_reason": "ODI not asked"})
    page = client.get("/grid").get_data(as_text=True)
    assert _cell(page, clinic.patient.study_code)[3] == "completed"
    assert clinic.other.study_code not in page  # the nurse's own site only


def test_the_grid_filters_by_site_and_arm(client, clinic):
    login(client, clinic.users["coordinator"])
    page = client.get(f"/grid?site={clinic.south.id}").get_data(as_text=True)
    assert clinic.other.study_code in page and clinic.patient.study_code not in page


def test_an_arm_of_another_study_is_not_kept_in_the_grids_filter(client, clinic):
    """Found trying the screens as a new user would: an arm chosen for one study, then
    another study chosen, kept the first study's arm in the address: "0 patients",
    while the arm box said "All arms"."""
    login(client, clinic.users["coordinator"])
    page = client.get(f"/grid?study={clinic.study.id}&arm=987654").get_data(as_text=True)
    assert "is not one of" in page and "showing all its arms" in page
    assert clinic.patient.study_code in page and clinic.other.study_code in page


def test_the_cohort_view_compares_arms_with_p_values(client, clinic):
    login(client, clinic.users["nurse"])
    client.post(f"/followup/{clinic.due.id}", data={"mode": "phone", "vas": "3",
                                                    "version": clinic.due.version,
                                                    "missing_reason": "ODI not asked"})
    client.post("/logout")
    login(client, clinic.users["physician"])
    page = client.get("/cohort?instrument=vas").get_data(as_text=True)
    assert "<svg" in page and "Median Pain (VAS) by arm over time" in page
    assert "Group A: fluoroscopy-guided" in page and "Friedman" in page
    assert "This view counts the treated patients" in page and "(intention to treat)" in page
    assert "Mann-Whitney" not in page and "Mann–Whitney U test" in page  # as the report
    filtered = client.get("/cohort?instrument=vas&modality=ct").get_data(as_text=True)
    assert "No Pain (VAS) values match" in filtered
    bad = client.get("/cohort?level=L9-L10")
    assert bad.status_code == 422 and "Choose from the list" in bad.get_data(as_text=True)


def test_a_modality_no_arm_is_allocated_to_offers_no_report_download(client, clinic):
    """The download became ?arms=none, and the report answered "Unknown arm(s): none"
    (found trying the cohort view as a new user would)."""
    login(client, clinic.users["physician"])
    page = client.get("/cohort?instrument=vas&modality=ultrasound").get_data(as_text=True)
    assert "arms=none" not in page and "report.pdf" not in page
    assert "No arm is allocated to Ultrasound" in page
    fluoro = client.get("/cohort?instrument=vas&modality=fluoroscopy").get_data(as_text=True)
    assert "report.pdf?arms=A" in fluoro


def test_an_admin_creates_and_deactivates_a_user(client, clinic, db):
    login(client, clinic.users["admin"])
    form = {"email": "new.nurse@test.invalid", "name": "New Nurse", "role": "nurse",
            "password": "long-enough-1"}
    refused = client.post("/admin/users", data=form)
    assert refused.status_code == 422 and "A nurse works at one site" in refused.get_data(
        as_text=True)
    assert client.post("/admin/users", data={**form, "site": "NORTH"}).status_code == 302
    user = db.exec(select(User).where(User.email == "new.nurse@test.invalid")).one()
    client.post(f"/admin/users/{user.id}/active", data={"is_active": "no"})
    db.expire_all()
    assert db.get(User, user.id).is_active is False


def test_an_admin_sees_the_sequence_and_the_balance(client, clinic):
    login(client, clinic.users["admin"])
    setup = client.get(f"/admin/studies/{clinic.study.id}").get_data(as_text=True)
    assert "punctures_1_2" in setup and "1 month" in setup and "Imbalance" in setup
    sequence = client.get(f"/admin/studies/{clinic.study.id}/sequence").get_data(as_text=True)
    assert sequence.count("<tr") > 100
    refused = client.post(f"/admin/studies/{clinic.study.id}/sequence", data={"seed": "5"},
                          follow_redirects=True)
    assert "no longer be regenerated" in refused.get_data(as_text=True)


def test_the_set_up_page_shows_criteria_age_limits_and_asks_before_a_new_sequence(
        client, clinic, db):
    from clinic.models import EligibilityCriterion

    first = db.exec(select(EligibilityCriterion).where(
        EligibilityCriterion.study_id == clinic.study.id,
        EligibilityCriterion.kind == "inclusion").order_by(EligibilityCriterion.id)).first()
    first.age_at_least, first.age_at_most = 18, 80
    db.add(first)
    db.commit()
    login(client, clinic.users["admin"])
    page = client.get(f"/admin/studies/{clinic.study.id}").get_data(as_text=True)
    assert '<td class="age-limits">18 to 80 years</td>' in page
    assert page.count('<td class="age-limits">—</td>') >= 1  # criteria without limits
    form = re.search(r'<form[^>]*sequence[^>]*>', page).group(0)
    assert 'data-confirm="Replace the sequence of' in form


def test_only_an_admin_is_shown_the_seed_of_the_sequence(client, clinic):
    """The concealed sequence is the seed's: with it and the protocol (which any user
    can read) the list of upcoming arms can be generated again."""
    login(client, clinic.users["coordinator"])
    page = client.get(f"/admin/studies/{clinic.study.id}").get_data(as_text=True)
    assert "slots, generated" in page and "seed" not in page.split("<h2>Randomization")[1]
    client.post("/logout")
    login(client, clinic.users["admin"])
    page = client.get(f"/admin/studies/{clinic.study.id}").get_data(as_text=True)
    assert "slots from seed 7, generated" in page


def test_a_user_creates_an_api_token_stored_only_as_a_hash(client, clinic, db):
    login(client, clinic.users["nurse"])
    assert 'href="/account"' in client.get("/worklist").get_data(as_text=True)
    assert 'href="/account/tokens"' in client.get("/account").get_data(as_text=True)
    page = client.post("/account/tokens", data={"name": "import"}).get_data(as_text=True)
    token = re.search(r'id="new-token">([^<]+)<', page).group(1)
    row = db.exec(select(ApiToken)).one()
    assert token not in row.token_hash and len(row.token_hash) == 64
    # the page reloaded (the form sent again) made a second token of the same name: the
    # name of a live token is refused (found trying the screens as a new user would)
    again = client.post("/account/tokens", data={"name": " Import "})
    assert again.status_code == 422
    assert "You have a live token named 'Import'" in html.unescape(again.get_data(as_text=True))
    assert len(db.exec(select(ApiToken)).all()) == 1


def test_the_cohort_view_shows_the_chosen_study(client, clinic, db):
    from tests.factories import make_study
    from tests.reports.helpers import THREE_ARMS

    other = make_study(db, THREE_ARMS)
    db.commit()
    login(client, clinic.users["physician"])
    page = client.get(f"/cohort?study={other.id}&instrument=vas").get_data(as_text=True)
    assert "TRI" in page and "Group C: ultrasound-guided" in page
    assert f'<option value="{other.id}" selected>' in page
    assert "/studies/TRI/report.pdf" in page  # the downloads follow the chosen study
    first = client.get("/cohort?instrument=vas").get_data(as_text=True)
    assert "Group C: ultrasound-guided" not in first
    unknown = client.get("/cohort?study=999999")
    assert unknown.status_code == 422
    assert "No study &#39;999999&#39;: choose one from the list" in unknown.get_data(as_text=True)
    by_code = client.get("/cohort?study=TRI&instrument=vas")  # a link someone typed
    assert by_code.status_code == 200
    assert f'<option value="{other.id}" selected>' in by_code.get_data(as_text=True)


def test_the_grid_names_its_arms(client, clinic):
    """Found testing as a new user would: the grid showed arm codes (CT, US) only."""
    login(client, clinic.users["physician"])
    page = client.get(f"/grid?study={clinic.study.id}").get_data(as_text=True)
    assert "Arms: <strong>A</strong> Group A: fluoroscopy-guided" in page
    assert '<abbr title="Group A: fluoroscopy-guided">A</abbr>' in page


def test_the_grid_says_what_due_means_in_the_worklists_words(client, clinic):
    """Found trying the screens as a new user would: a visit "due" in the grid was
    "Window open" on the worklist, with nothing to say they were the same."""
    login(client, clinic.users["nurse"])
    grid = client.get(f"/grid?study={clinic.study.id}").get_data(as_text=True)
    assert ('status-due">Due</span> window open, target date today or ahead' in grid)
    worklist = client.get("/worklist").get_data(as_text=True)
    assert "Due (window open)" in worklist and "Window open" not in worklist


def test_the_grid_marks_a_visit_done_outside_its_window(client, clinic, db, app):
    """Found testing as a new user would: the grid showed a visit done 6 days late as
    'completed', like any other; the report and the patient page counted it a deviation."""
    from datetime import timedelta

    from clinic.audit import set_actor
    from clinic.followup.service import record_follow_up
    from clinic.models import Assessment

    visit = db.get(Assessment, clinic.due.id)
    set_actor(db, clinic.users["nurse"].id, None)
    record_follow_up(db, assessment=visit, entries={"vas": 3}, mode="phone",
                     actor_id=clinic.users["nurse"].id,
                     visit_on=visit.window_open - timedelta(days=2))
    db.commit()
    login(client, clinic.users["physician"])
    page = client.get("/grid").get_data(as_text=True)
    assert '<strong class="deviation">(2 days early)</strong>' in page


def test_a_date_range_given_backwards_is_said_not_an_empty_cohort(client, clinic):
    """Found trying the screens as a new user would: from 12/01 to 01/01 showed '0 · 0'
    and 'No Pain (VAS) values match these filters' with no reason."""
    login(client, clinic.users["physician"])
    page = client.get("/cohort?date_from=2026-12-01&date_to=2026-01-01")
    text = page.get_data(as_text=True)
    assert page.status_code == 422 and 'id="date_to-error"' in text
    assert "no day is in between" in text
