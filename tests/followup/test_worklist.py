"""The worklist for a day's work: today's calls first, names for identity roles,
filters by study and visit, any day, a week's calendar, the call list on paper."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select, update

from clinic.followup.worklist import call_group
from tests.factories import assessments_of, make_patient, make_procedure
from tests.pdf import pdf_text
from tests.web.helpers import login, odi_form

TODAY = date(2026, 12, 3)


@pytest.mark.parametrize("target, opens, closes, group", [
    (TODAY, TODAY - timedelta(7), TODAY + timedelta(7), "today"),
    (TODAY - timedelta(1), TODAY - timedelta(8), TODAY + timedelta(6), "overdue"),
    (TODAY + timedelta(1), TODAY - timedelta(6), TODAY + timedelta(3), "closing"),
    (TODAY - timedelta(5), TODAY - timedelta(12), TODAY + timedelta(2), "closing"),  # the
    # last chance of an overdue visit (it was counted as overdue, the closing group at 0)
    (TODAY - timedelta(5), TODAY - timedelta(12), TODAY + timedelta(4), "overdue"),
    (TODAY, TODAY - timedelta(7), TODAY + timedelta(1), "today"),
    (TODAY - timedelta(3), TODAY - timedelta(10), TODAY, "last_day"),  # the last chance:
    # before the visits due today whose windows stay open (it was one of "closing")
    (TODAY, TODAY - timedelta(7), TODAY, "last_day"),
    (TODAY + timedelta(20), TODAY - timedelta(1), TODAY + timedelta(40), "open"),
    (TODAY + timedelta(30), TODAY + timedelta(23), TODAY + timedelta(37), "upcoming"),
])
def test_each_follow_up_falls_in_one_call_group(target, opens, closes, group):
    assert call_group(target, opens, closes, TODAY) == group


def test_a_visit_on_its_windows_last_day_comes_first_and_says_so(client, clinic, db):
    """Found trying the app as a new user would: a visit whose window closed that day was
    listed as "Window closes within 3 days", after the visits due today whose windows
    stay open for days. It is the most urgent call: first, on the page and on paper."""
    from clinic.models import Assessment

    day = clinic.due.target_date  # the clinic's visit is due that day, its window open on
    patient, _ = make_patient(db, clinic.study, site=clinic.north)
    make_procedure(db, patient)
    last = next(a for a in assessments_of(db, patient) if a.state == "pending")
    db.exec(update(Assessment).where(Assessment.id == last.id).values(  # type: ignore[call-overload]
        window_open=day - timedelta(days=10), target_date=day - timedelta(days=3),
        window_close=day))
    db.commit()
    login(client, clinic.users["nurse"])
    page = client.get(f"/worklist?day={day.isoformat()}").get_data(as_text=True)
    label = "Window closes today (last day)"
    assert f"{label}: 1" in page and "Due today: 1" in page
    first, second = page.index(f'/followup/{last.id}"'), page.index(f'/followup/{clinic.due.id}"')
    assert first < second
    assert page.rindex("call-last_day", 0, first) > page.rindex("<tr", 0, first)
    text = pdf_text(client.get(f"/worklist/calls.pdf?day={day.isoformat()}").data)
    assert "(last day)" in text and text.index("Window closes") < text.index("Due today")


def test_the_nurse_sees_names_and_the_groups_in_order(client, clinic):
    login(client, clinic.users["nurse"])
    page = client.get("/worklist").get_data(as_text=True)
    assert "patient-name" in page and "Test Patient" in page
    assert clinic.other.study_code not in page, "her own site only"
    legend = page.index("Due today"), page.index("Overdue"), page.index("Upcoming")
    assert legend == tuple(sorted(legend))


def test_the_worklist_of_another_day_and_its_filters(client, clinic):
    login(client, clinic.users["coordinator"])
    due = clinic.due
    on_target = client.get(f"/worklist?day={due.target_date.isoformat()}").get_data(
        as_text=True)
    assert 'class="call-today"' in on_target
    other_visit = client.get("/worklist?timepoint=week_1").get_data(as_text=True)
    assert f"/followup/{due.id}\"" not in other_visit
    unknown_study = client.get("/worklist?study=999999")
    assert unknown_study.status_code == 422
    assert "No study with id 999999" in unknown_study.get_data(as_text=True)
    unknown_visit = client.get("/worklist?timepoint=x")  # they showed an empty list, unsaid
    assert unknown_visit.status_code == 422 and "No visit &#39;x&#39;" in unknown_visit.get_data(
        as_text=True)
    assert client.get("/worklist?site=999").status_code == 404
    bad_day = client.get("/worklist?day=31.02.2026")
    assert bad_day.status_code == 422 and 'id="day-error"' in bad_day.get_data(as_text=True)


def test_the_week_view_lists_each_visit_on_its_day(client, clinic):
    login(client, clinic.users["nurse"])
    due = clinic.due
    page = client.get(f"/worklist/week?start={due.target_date.isoformat()}").get_data(
        as_text=True)
    day = page.index(f'id="day-{due.target_date.isoformat()}"')
    assert page.index(f"/followup/{due.id}\"") > day


def test_the_call_list_is_a_pdf_with_names_and_numbers(client, clinic):
    login(client, clinic.users["nurse"])
    response = client.get(f"/worklist/calls.pdf?day={clinic.due.target_date.isoformat()}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert clinic.patient.study_code in text and "Test Patient" in text
    assert "Due today" in text and "Reached" in text


def test_a_blank_sheet_lists_the_visits_outcomes_with_the_odi_statements(client, clinic):
    login(client, clinic.users["nurse"])
    index = client.get(f"/studies/{clinic.study.code}/sheets").get_data(as_text=True)
    assert "1 month (PDF)" in index
    response = client.get(f"/studies/{clinic.study.code}/sheets/month_1.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert "Oswestry Disability Index" in text and "Lifting" in text
    assert "I can lift heavy weights without extra pain." in text
    assert "paraphrased" in text.lower()
    assert "Satisfaction with the results" in text
    assert "Satisfaction with the procedure" not in text, "asked at one week only"


def _filled_sheet(client, clinic, db, vas: float) -> str:
    """The text of the due visit's sheet, recorded with ``vas`` and an ODI, as the nurse."""
    from clinic.followup.service import record_follow_up

    record_follow_up(db, assessment=clinic.due, entries={"vas": vas, "odi": [3] + [1] * 9},
                     mode="phone", actor_id=None)
    db.commit()
    login(client, clinic.users["nurse"])
    return pdf_text(client.get(f"/followup/{clinic.due.id}/sheet.pdf").data)


def test_a_filled_sheet_marks_what_was_recorded(client, clinic, db):
    text = _filled_sheet(client, clinic, db, vas=6)
    assert clinic.patient.study_code in text and "Test Patient" in text
    assert "Recorded: 6 (the mark at 60 mm)" in text  # the VAS: a 100 mm line, marked
    assert "☒ 3 The pain is fairly severe at the moment." in text
    login(client, clinic.users["nurse_south"])
    assert client.get(f"/followup/{clinic.due.id}/sheet.pdf").status_code in (403, 404)


def test_the_vas_is_a_line_to_mark_not_eleven_boxes(client, clinic, db):
    """Found testing as a new user would: VAS 5.5 was printed as the box 6 ticked; then
    that the sheet asked the VAS in eleven boxes while the screen takes 7.5. The VAS is
    the 100 mm line the patient marks and the nurse measures."""
    login(client, clinic.users["nurse"])
    blank = pdf_text(client.get(f"/studies/{clinic.study.code}/sheets/month_1.pdf").data)
    assert "Mark the line at the point that shows your pain now." in blank
    assert "Measured by the nurse: ____ mm from the left end" in blank
    assert "0 = no pain" in blank and "10 = worst pain imaginable" in blank
    assert "☐ 0" not in blank.split("Oswestry")[0], "no boxes for the VAS"
    text = _filled_sheet(client, clinic, db, vas=5.5)
    assert "Recorded: 5.5 (the mark at 55 mm)" in text


def test_a_spanish_speaking_patients_sheet_asks_in_spanish(client, clinic, db):
    """Found testing as a new user would: a Spanish-speaking patient's sheet was in
    English. The patient's part is in the language of the record (the staff fields stay
    in English); blank sheets come in each language."""
    from clinic.models import PatientIdentity

    identity = db.exec(select(PatientIdentity).where(
        PatientIdentity.patient_id == clinic.patient.id)).one()
    identity.language = "es"
    db.add(identity)
    text = _filled_sheet(client, clinic, db, vas=6)
    assert "¿Cuánto le duele ahora mismo?" in text and "Haga una marca en la línea" in text
    assert "Levantar cosas" in text and "Date of the visit" in text
    index = client.get(f"/studies/{clinic.study.code}/sheets").get_data(as_text=True)
    assert 'hreflang="es"' in index
    blank = client.get(f"/studies/{clinic.study.code}/sheets/month_1.pdf?language=es")
    assert blank.status_code == 200 and "sheet_es.pdf" in blank.headers["Content-Disposition"]
    spanish = pdf_text(blank.data)
    assert "Satisfecho/a" in spanish and "0 = ningún dolor" in spanish
    assert "¿Cuánto ha reducido sus antiinflamatorios" in spanish  # the sheet's own question
    assert "By how much" not in spanish
    assert client.get(f"/studies/{clinic.study.code}/sheets/month_1.pdf?language=xx"
                      ).status_code == 404


def test_a_filled_sheet_gives_the_total_the_reason_and_who_collected_it(client, clinic, db):
    """Found testing as a new user would: the chart copy left out the NDI/ODI total, the
    reason an outcome was not collected and who collected the visit."""
    login(client, clinic.users["nurse"])
    saved = client.post(f"/followup/{clinic.due.id}", data={
        "mode": "phone", "vas": "4", "version": clinic.due.version,
        **odi_form([3, 3, 3, 3, 3, 3, 3, 3, "", ""]),
        "satisfaction_results": "satisfied",
        "missing_reason": "Patient stopped after eight sections"})
    assert saved.status_code == 302
    text = pdf_text(client.get(f"/followup/{clinic.due.id}/sheet.pdf").data)
    assert "Total: not computable (2 of 10 sections unanswered" in text
    assert "Not collected, because: Patient stopped after eight sections" in text
    assert f"Collected by: {clinic.users['nurse'].name}" in text


def test_a_filled_sheet_says_a_total_comes_from_fewer_sections(client, clinic):
    """Found trying the screens as a new user would: an ODI with a section left blank
    printed its total as if from all ten."""
    login(client, clinic.users["nurse"])
    saved = client.post(f"/followup/{clinic.due.id}", data={
        "mode": "phone", "vas": "4", "version": clinic.due.version,
        **odi_form([3, 3, 3, 3, 3, 3, 3, 3, 3, ""]), "satisfaction_results": "satisfied"})
    assert saved.status_code == 302
    text = pdf_text(client.get(f"/followup/{clinic.due.id}/sheet.pdf").data)
    assert "Total: 60 % (from 9 of 10 sections: 1 unanswered)" in text


def test_a_visit_page_says_when_its_window_closes_soon(client, clinic, db):
    """Found re-checking the screens: the worklist listed a visit under 'Window closes
    within 3 days' while its own page said only 'Overdue'."""
    from clinic.models import Assessment

    login(client, clinic.users["nurse"])
    visit = db.get(Assessment, clinic.due.id)
    assert "the window closes" not in client.get(f"/followup/{visit.id}").get_data(
        as_text=True), "a window open for a week more"
    visit.window_close = visit.target_date + timedelta(days=2)
    db.add(visit)
    db.commit()
    page = client.get(f"/followup/{visit.id}").get_data(as_text=True)
    assert "the window closes in 2 days" in page


def test_the_week_view_from_a_sunday_shows_the_days_ahead(client, clinic):
    """Found trying the screens as a new user would: on a Sunday the worklist's "Week
    view" showed the Monday-to-Sunday week just gone, nothing ahead. It shows the seven
    days from the day asked for."""
    login(client, clinic.users["nurse"])
    sunday = date(2026, 12, 6)
    page = client.get(f"/worklist/week?start={sunday.isoformat()}").get_data(as_text=True)
    assert "Visits from Sunday 2026-12-06 to Saturday 2026-12-12" in page
    assert 'id="day-2026-12-07"' in page and 'id="day-2026-11-30"' not in page
