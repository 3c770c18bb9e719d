"""What trying the screens as a new user would found confusing, each now answered: the
follow-up page names the visit's status as the patient page does, a visit marked not
done is reopened where the nurse lands, drafts stay off the nurses' home page, the
worklist tells apart visits of the same name and takes a study code, and the schedule
preview says when it cannot read its date."""

from __future__ import annotations

import html
import re
import subprocess
from datetime import timedelta

import pytest
from sqlmodel import select

from clinic.models import Assessment, Study, StudyTimepoint
from clinic.studies.protocols import create_from_document, document_of
from tests.web.helpers import login, today_in


def _visit(db, clinic, code: str) -> Assessment:
    return db.exec(select(Assessment).join(StudyTimepoint).where(
        Assessment.patient_id == clinic.patient.id, StudyTimepoint.code == code)).one()


def test_the_follow_up_page_shows_the_status_the_patient_page_shows(client, clinic, db):
    login(client, clinic.users["nurse"])
    week_1 = _visit(db, clinic, "week_1")  # its window closed weeks ago, nothing recorded
    page = client.get(f"/followup/{week_1.id}").get_data(as_text=True)
    assert 'class="status-chip status-missed">Missed<' in page
    due = client.get(f"/followup/{clinic.due.id}").get_data(as_text=True)
    assert 'class="status-chip status-due">Due<' in due


def test_a_visit_marked_not_done_is_reopened_from_its_own_page(client, clinic, db):
    login(client, clinic.users["nurse"])
    marked = client.post(f"/followup/{clinic.due.id}/not-done", data={
        "not_done_reason": "No answer", "version": clinic.due.version})
    assert marked.status_code == 302
    db.expire_all()
    visit = db.get(Assessment, clinic.due.id)
    assert visit.state == "not_done"
    page = client.get(f"/followup/{visit.id}", follow_redirects=True).get_data(as_text=True)
    assert "No answer" in page and f'action="/followup/{visit.id}/reopen"' in page
    assert 'name="from" value="edit"' in page
    no_reason = client.post(f"/followup/{visit.id}/reopen", data={
        "version": visit.version, "reason": "", "from": "edit"}, follow_redirects=True)
    assert no_reason.request.path == f"/followup/{visit.id}/edit"  # stays on the visit
    refused = no_reason.get_data(as_text=True)  # said at the reason field, not in a banner
    assert ('<p class="error" id="reopen-reason-error" role="alert">Give the reason'
            in refused and 'aria-describedby="reopen-reason-error"' in refused)
    assert "Not reopened" not in refused
    reopened = client.post(f"/followup/{visit.id}/reopen",
                           data={"version": visit.version, "reason": "Patient called back"})
    assert reopened.status_code == 302
    db.expire_all()
    assert db.get(Assessment, visit.id).state == "pending"


def test_a_draft_study_stays_off_the_nurses_home_page(client, clinic, db):
    doc = document_of(db, db.get(Study, clinic.study.id)).model_copy(update={"code": "DRAFT1"})
    create_from_document(db, doc, draft=True)
    db.commit()
    login(client, clinic.users["nurse"])
    assert "DRAFT1" not in client.get("/").get_data(as_text=True)
    login(client, clinic.users["coordinator"])
    assert "DRAFT1" in client.get("/").get_data(as_text=True)


def test_a_draft_is_not_offered_in_the_worklist_or_grid_filters(client, clinic, db):
    """A draft has no patients: its study and its timepoints are not filter choices."""
    doc = document_of(db, db.get(Study, clinic.study.id)).model_copy(update={"code": "AAA1"})
    draft = create_from_document(db, doc, draft=True)
    db.add(StudyTimepoint(study_id=draft.id, code="draft_only", label="Draft only visit",
                          offset_days=400, position=99))
    db.commit()
    login(client, clinic.users["nurse"])
    worklist = client.get("/worklist").get_data(as_text=True)
    assert "AAA1" not in worklist and "Draft only visit" not in worklist
    assert clinic.study.code in worklist
    grid = client.get("/grid").get_data(as_text=True)
    assert "AAA1" not in grid and clinic.study.code in grid, "the grid opens on an active study"
    login(client, clinic.users["physician"])
    cohort = client.get("/cohort").get_data(as_text=True)
    assert "AAA1" not in cohort and clinic.study.code in cohort, "nor the cohort view"
    reports = client.get("/reports").get_data(as_text=True)
    assert "AAA1" not in reports and clinic.study.code in reports, "nor the reports list"
    by_url = client.get(f"/grid?study={draft.id}")
    assert by_url.status_code == 404 and "is a draft" in by_url.get_data(as_text=True)
    by_code = client.get("/grid?study=aaa1")
    assert by_code.status_code == 404 and "is a draft" in by_code.get_data(as_text=True)
    unknown = client.get("/grid?study=NOPE")
    assert unknown.status_code == 404 and "No study &#39;NOPE&#39;" in unknown.get_data(
        as_text=True), "not another study's grid without a word"
    assert client.get(f"/grid?study={clinic.study.code}").status_code == 200
    for url in ("/studies/AAA1/report", "/studies/AAA1/report.pdf",
                "/studies/AAA1/report/download/xlsx"):
        report = client.get(url)
        assert report.status_code == 404 and "is a draft" in report.get_data(as_text=True), url
    job = client.post("/studies/AAA1/report/jobs", data={"fmt": "pdf"})
    assert job.status_code == 404, "nor built in the background"


def test_a_drafts_paper_sheets_are_a_marked_preview_for_its_builders_only(client, clinic, db):
    """A nurse could print a draft's sheets by URL and collect data on a protocol that
    may still change; its builders see them as a preview marked DRAFT."""
    doc = document_of(db, db.get(Study, clinic.study.id)).model_copy(update={"code": "DRAFT3"})
    create_from_document(db, doc, draft=True)
    db.commit()
    login(client, clinic.users["nurse"])
    for url in ("/studies/DRAFT3/sheets", "/studies/DRAFT3/sheets/month_1.pdf"):
        refused = client.get(url)
        assert refused.status_code == 404 and "is a draft" in refused.get_data(as_text=True)
    login(client, clinic.users["coordinator"])
    index = client.get("/studies/DRAFT3/sheets").get_data(as_text=True)
    assert "these sheets are a preview" in index
    assert "DRAFT protocol" in _pdf_text(client.get("/studies/DRAFT3/sheets/month_1.pdf").data)
    active = client.get(f"/studies/{clinic.study.code}/sheets/month_1.pdf").data
    assert "DRAFT protocol" not in _pdf_text(active)


def _pdf_text(content: bytes) -> str:
    done = subprocess.run(["pdftotext", "-", "-"], input=content, capture_output=True,
                          check=True)
    return done.stdout.decode()


def test_the_worklist_lists_a_label_once_and_takes_a_study_code(client, clinic, db):
    """Two studies code their 1-month visit apart (m1, month_1): the visit filter lists
    "1 month" once and finds both (it listed "1 month (m1)" and "1 month (month_1)",
    found trying the screens as a new user would); the code still filters too."""
    doc = document_of(db, db.get(Study, clinic.study.id))
    doc = doc.model_copy(update={"code": "OTHER", "timepoints": [
        t.model_copy(update={"code": "m1"}) if t.code == "month_1" else t
        for t in doc.timepoints], "measures": [
        m.model_copy(update={"timepoints": [("m1" if c == "month_1" else c)
                                            for c in m.timepoints]}) if m.timepoints else m
        for m in doc.measures]})
    create_from_document(db, doc, draft=False)
    db.commit()
    login(client, clinic.users["nurse"])
    page = client.get("/worklist").get_data(as_text=True)
    select = page[page.index('name="timepoint"'):page.index("</select>",
                                                          page.index('name="timepoint"'))]
    assert select.count(">1 month<") == 1 and "(m1)" not in select
    assert 'value="1 month"' in select
    for value in ("1 month", "month_1", "m1"):
        assert client.get("/worklist", query_string={"timepoint": value}).status_code == 200
    long_label = "Twelve months after the index procedure"  # longer than a code
    assert len(long_label) > 20
    doc = doc.model_copy(update={"code": "THIRD", "timepoints": [
        t.model_copy(update={"label": long_label}) if t.code == "m1" else t
        for t in doc.timepoints]})
    create_from_document(db, doc, draft=False)
    db.commit()
    found = client.get("/worklist", query_string={"timepoint": long_label})
    assert found.status_code == 200, "a label is the filter's value, uncut"
    by_code = client.get(f"/worklist?study={clinic.study.code}")
    assert by_code.status_code == 200
    assert f'value="{clinic.study.id}" selected' in by_code.get_data(as_text=True)
    unknown = client.get("/worklist?study=NOPE")
    assert unknown.status_code == 422 and "No study with code" in unknown.get_data(as_text=True)


def test_the_schedule_preview_says_when_it_cannot_read_its_date(client, clinic, app):
    login(client, clinic.users["coordinator"])
    url = f"/admin/studies/{clinic.study.id}/builder"
    for given in ("garbage", "2027-02-30", "15/01/2027"):
        page = client.get(f"{url}?procedure_on={given}").get_data(as_text=True)
        assert 'id="procedure_on-error"' in page, given
    day = today_in(app) + timedelta(days=3)
    page = client.get(f"{url}?procedure_on={day}").get_data(as_text=True)
    assert 'id="procedure_on-error"' not in page and f'value="{day}"' in page


def test_a_drafts_enrollment_form_is_not_offered(client, clinic, db):
    """Found re-testing as a new user would: a nurse could fill in a draft's form, to be
    refused only when she saved it."""
    doc = document_of(db, db.get(Study, clinic.study.id)).model_copy(update={"code": "DRAFT2"})
    create_from_document(db, doc, draft=True)
    db.commit()
    login(client, clinic.users["nurse"])
    response = client.get("/studies/DRAFT2/enroll", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "DRAFT2 is a draft" in page and 'id="enroll-form"' not in page


def test_a_baseline_dated_after_the_procedure_is_refused(client, clinic, db, app):
    """The baseline is the score before treatment: a date after the procedure (30 days
    ago here) is a typing mistake or a post-treatment score, and is refused."""
    login(client, clinic.users["nurse"])
    baseline = _visit(db, clinic, "baseline")
    procedure_day = today_in(app) - timedelta(days=30)
    form = {"mode": "in_clinic", "vas": "6", "version": baseline.version}
    late = client.post(f"/followup/{baseline.id}",
                       data=form | {"visit_on": str(procedure_day + timedelta(days=20))})
    assert late.status_code == 422
    assert (f"The baseline is taken before treatment: the procedure was on {procedure_day}"
            in late.get_data(as_text=True))
    db.expire_all()
    assert db.get(Assessment, baseline.id).state == "pending"
    same_day = client.post(f"/followup/{baseline.id}", data=form | {"visit_on": str(procedure_day)})
    assert "taken before treatment" not in same_day.get_data(as_text=True)


@pytest.mark.parametrize("version", ["", "abc", "-1", "１", "99999999999"])
def test_a_broken_version_field_is_named_not_blamed_on_someone_else(client, clinic, db,
                                                                      version):
    """Found testing as a new user would: an empty version read 'Someone else saved this
    follow-up (just now)'."""
    login(client, clinic.users["nurse"])
    response = client.post(f"/followup/{clinic.due.id}/not-done",
                           data={"not_done_reason": "No answer", "version": version})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "record version is empty or not a whole number" in page
    assert "Someone else" not in page
    db.expire_all()
    assert db.get(Assessment, clinic.due.id).state == "pending"


def test_a_study_without_its_allocation_sequence_says_so_before_the_form(client, clinic, db):
    """Found testing as a new user would: a nurse filled in the whole form of an active
    study whose sequence an administrator had not generated, to be refused at the end."""
    doc = document_of(db, db.get(Study, clinic.study.id)).model_copy(update={"code": "NOSEQ"})
    create_from_document(db, doc, draft=False)
    db.commit()
    login(client, clinic.users["nurse"])
    page = client.get("/studies/NOSEQ/enroll", follow_redirects=True).get_data(as_text=True)
    assert "NOSEQ has no allocation sequence yet" in page and 'id="enroll-form"' not in page
    ready = client.get(f"/studies/{clinic.study.code}/enroll").get_data(as_text=True)
    assert 'id="enroll-form"' in ready


def test_a_missing_version_field_is_a_broken_form_not_someone_elses_save(client, clinic, db):
    """A hand-made form without its version field read 'Someone else saved this
    follow-up'; it is refused as broken (422), nothing stored, the typed reason kept."""
    login(client, clinic.users["nurse"])
    response = client.post(f"/followup/{clinic.due.id}/not-done",
                           data={"not_done_reason": "No answer"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "did not say which version" in page
    assert "Someone else" not in page
    db.expire_all()
    assert db.get(Assessment, clinic.due.id).state == "pending"


@pytest.mark.parametrize("url", ["/studies/NOPE/report", "/studies/NOPE/report/download/pdf",
                                 "/studies/NOPE/sheets", "/studies/NOPE/sheets/baseline.pdf",
                                 "/studies/NOPE/enroll", "/studies/NOPE/audit",
                                 "/studies/NOPE/audit.csv", "/studies/NOPE/screening",
                                 "/studies/NOPE/screening.csv", "/studies/NOPE/self-report"])
def test_an_unknown_study_code_is_named_in_its_404(client, clinic, url):
    """Found testing as a new user would: a mistyped study code in a report or sheets
    address gave the generic not-found page."""
    login(client, clinic.users["coordinator"])
    response = client.get(url)
    assert response.status_code == 404
    assert "No study &#39;NOPE&#39;" in response.get_data(as_text=True)


def test_an_unknown_study_code_starts_no_report_job(client, clinic):
    login(client, clinic.users["coordinator"])
    response = client.post("/studies/NOPE/report/jobs", data={"fmt": "pdf"})
    assert response.status_code == 404 and "No study" in response.get_data(as_text=True)


def test_the_patient_lists_arm_filter_names_each_arms_study(client, clinic, db):
    """Found testing as a new user would: two studies' arms "CT" read the same in the
    patient list's arm filter; a draft's arms, which hold nobody, were listed too."""
    doc = document_of(db, db.get(Study, clinic.study.id))
    create_from_document(db, doc.model_copy(update={"code": "SECOND"}), draft=False)
    create_from_document(db, doc.model_copy(update={"code": "DRAFTX"}), draft=True)
    db.commit()
    login(client, clinic.users["coordinator"])
    page = client.get("/patients").get_data(as_text=True)
    label = doc.arms[0].label
    assert f'<optgroup label="{clinic.study.code}">' in page and '<optgroup label="SECOND">' in page
    assert f"{label} ({clinic.study.code})" in page and f"{label} (SECOND)" in page
    assert "DRAFTX" not in page


def test_a_version_the_record_never_had_is_a_broken_form(client, clinic, db):
    """Found testing as a new user would: version 999 read 'someone saved this follow-up
    while you were working on it'."""
    login(client, clinic.users["nurse"])
    response = client.post(f"/followup/{clinic.due.id}/not-done",
                           data={"not_done_reason": "No answer", "version": "999"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "names version 999" in page
    assert "while you were working" not in page
    db.expire_all()
    assert db.get(Assessment, clinic.due.id).state == "pending"


def test_a_study_code_typed_in_lower_case_finds_its_study(client, clinic):
    login(client, clinic.users["coordinator"])
    for url in (f"/studies/{clinic.study.code.lower()}/enroll",
                f"/studies/{clinic.study.code.lower()}/audit"):
        assert client.get(url).status_code == 200, url
    nul = client.get("/studies/NO%01PE/audit")
    assert nul.status_code == 404 and "No study &#39;NOPE&#39;" in nul.get_data(as_text=True)


def test_a_call_list_for_an_unknown_study_is_not_printed_for_all(client, clinic):
    """Found testing as a new user would: /worklist/calls.pdf?study=NOPE printed the
    calls of every study."""
    login(client, clinic.users["nurse"])
    refused = client.get("/worklist/calls.pdf?study=NOPE")
    assert refused.status_code == 422 and b"No study with code" in refused.data
    assert refused.mimetype == "text/html"  # the app's error page, with its way back
    assert b"The call list was not printed" in refused.data
    assert client.get("/worklist/calls.pdf").status_code == 200


def test_a_visit_marked_not_done_twice_says_why_nothing_was_saved(client, clinic, db):
    """Found testing as a new user would: the second 'not done' (a resent form) read
    'please correct the 1 field marked below', with nothing marked."""
    login(client, clinic.users["nurse"])
    form = {"not_done_reason": "No answer", "version": clinic.due.version}
    assert client.post(f"/followup/{clinic.due.id}/not-done", data=form).status_code == 302
    db.expire_all()
    again = client.post(f"/followup/{clinic.due.id}/not-done",
                        data=form | {"version": db.get(Assessment, clinic.due.id).version})
    page = again.get_data(as_text=True)
    assert again.status_code == 422
    assert "marked not done already" in page and "field marked below" not in page


def test_a_refused_reopen_from_the_patient_page_opens_that_visits_reopen_form(client, clinic,
                                                                               db):
    """Found testing as a new user would: after a refused reopen the patient page came
    back with the Reopen section folded, the nurse left to find the visit again."""
    login(client, clinic.users["nurse"])
    client.post(f"/followup/{clinic.due.id}/not-done", data={
        "not_done_reason": "No answer", "version": clinic.due.version})
    db.expire_all()
    visit = db.get(Assessment, clinic.due.id)
    refused = client.post(f"/followup/{visit.id}/reopen",
                          data={"version": visit.version, "reason": ""})
    assert refused.status_code == 302
    assert refused.headers["Location"].endswith(f"reopen={visit.id}#reopen-visit-{visit.id}")
    page = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert f'id="reopen-visit-{visit.id}" open' in page
    assert (f'<p class="error" id="reopen-{visit.id}-error" role="alert">Give the reason' in page
            and f'aria-describedby="reopen-{visit.id}-error"' in page)
    assert "Not reopened" not in page and page.count("Give the reason") == 1


def test_a_withdrawn_patients_visit_is_not_reopened(client, clinic, db):
    """Found testing as a new user would: a visit closed by the patient's withdrawal could
    be reopened, which put the patient back on the call list and planned messages."""
    from clinic.enrollment.service import withdraw
    from clinic.models import Enrollment, Reminder

    enrollment = db.exec(select(Enrollment).where(
        Enrollment.patient_id == clinic.due.patient_id)).one()
    withdraw(db, enrollment=enrollment, reason="Withdrew consent", actor_id=None)
    db.commit()
    db.expire_all()
    visit = db.get(Assessment, clinic.due.id)
    assert visit.state == "not_done"
    login(client, clinic.users["nurse"])
    page = client.get(f"/followup/{visit.id}/edit").get_data(as_text=True)
    assert "The patient withdrew from the study (Withdrew consent" in page
    assert f'action="/followup/{visit.id}/reopen"' not in page
    patient_page = client.get(f"/patients/{visit.patient_id}").get_data(as_text=True)
    assert f'action="/followup/{visit.id}/reopen"' not in patient_page
    forced = client.post(f"/followup/{visit.id}/reopen", data={
        "version": visit.version, "reason": "Patient called back", "from": "edit"},
        follow_redirects=True)
    assert "a visit is not reopened after a withdrawal" in forced.get_data(as_text=True)
    db.expire_all()
    assert db.get(Assessment, visit.id).state == "not_done"
    assert not db.exec(select(Reminder).where(Reminder.assessment_id == visit.id,
                                              Reminder.state == "pending")).all()


def test_a_page_of_another_role_says_whose_it_is(client, clinic):
    """Found testing as a new user would: a physician opening a follow-up form read the
    server's 'read-protected or not readable by the server'."""
    login(client, clinic.users["physician"])
    refused = client.get(f"/followup/{clinic.due.id}")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 403
    assert "your role (physician) cannot open it" in page and "read-protected" not in page


def test_the_same_not_done_sent_twice_is_no_conflict(client, clinic, db):
    """Found testing as a new user would: a double click on 'Mark not done' answered 409
    'Demo Nurse saved this follow-up while you were working on it', naming herself."""
    login(client, clinic.users["nurse"])
    form = {"not_done_reason": "No answer", "version": clinic.due.version}
    assert client.post(f"/followup/{clinic.due.id}/not-done", data=form).status_code == 302
    again = client.post(f"/followup/{clinic.due.id}/not-done", data=form)  # the stale page
    assert again.status_code == 302
    page = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "marked not done (it already was)" in page
    other = client.post(f"/followup/{clinic.due.id}/not-done",
                        data=form | {"not_done_reason": "Moved abroad"})
    assert other.status_code == 409  # another reason: a real conflict


def test_the_patient_page_names_the_stratum_by_its_bins(client, clinic, db):
    """Found testing as a new user would: 'Stratum punctures_5_6'."""
    from clinic.models import Enrollment

    stratum = db.exec(select(Enrollment.stratum).where(
        Enrollment.patient_id == clinic.patient.id)).one()
    login(client, clinic.users["physician"])
    page = client.get(f"/patients/{clinic.patient.id}").get_data(as_text=True)
    shown = page.split("<dt>Stratum</dt><dd>")[1].split("</dd>")[0]
    assert shown != stratum and shown.startswith("punctures "), (stratum, shown)


def test_a_reopen_from_a_stale_page_says_what_happened_since(client, clinic, db):
    """Found testing as a new user would: 'Only a follow-up marked not done can be
    reopened' after another tab had reopened it."""
    login(client, clinic.users["nurse"])
    client.post(f"/followup/{clinic.due.id}/not-done", data={
        "not_done_reason": "No answer", "version": clinic.due.version})
    db.expire_all()
    visit = db.get(Assessment, clinic.due.id)
    form = {"version": visit.version, "reason": "Patient called back", "from": "edit"}
    assert client.post(f"/followup/{visit.id}/reopen", data=form).status_code == 302
    again = client.post(f"/followup/{visit.id}/reopen", data=form, follow_redirects=True)
    assert "open already (it was reopened since the page was loaded)" in again.get_data(
        as_text=True)


def test_the_worklists_visit_filter_is_in_the_order_of_the_schedule(client, clinic):
    """Found testing as a new user would: the Visit filter was in text order, Baseline
    last."""
    login(client, clinic.users["nurse"])
    page = client.get("/worklist").get_data(as_text=True)
    select = page[page.index('name="timepoint"'):]
    select = select[:select.index("</select>")]
    labels = re.findall(r'<option value="\w+"[^>]*>([^<]+)</option>', select)
    assert labels == ["Baseline", "1 day", "1 week", "1 month", "3 months", "6 months"]


def test_a_visit_marked_not_done_by_mistake_is_reopened_after_its_window_closed(client,
                                                                              clinic, db):
    """Found trying the screens as a new user would: a visit marked not done (a wrong
    click, or a paper sheet that turned up later) could not be reopened once its window
    had closed ("it stays not done"): the visit that took place could never be entered.
    A reason of two letters was taken for "not done", where every other change asks for
    three."""
    login(client, clinic.users["nurse"])
    visit = _visit(db, clinic, "week_1")  # its window closed weeks ago
    assert visit.window_close < today_in(client.application)
    short = client.post(f"/followup/{visit.id}/not-done", data={
        "not_done_reason": "ab", "version": visit.version}, follow_redirects=True)
    assert "in at least 3 characters" in short.get_data(as_text=True)
    db.expire_all()
    assert db.get(Assessment, visit.id).state == "pending"
    client.post(f"/followup/{visit.id}/not-done", data={
        "not_done_reason": "No answer", "version": visit.version})
    db.expire_all()
    visit = db.get(Assessment, visit.id)
    assert visit.state == "not_done"
    page = client.get(f"/followup/{visit.id}/edit").get_data(as_text=True)
    assert f"Its window closed on {visit.window_close.isoformat()}" in page
    assert f'action="/followup/{visit.id}/reopen"' in page
    patient_page = client.get(f"/patients/{clinic.patient.id}").get_data(as_text=True)
    assert f'id="reopen-visit-{visit.id}"' in patient_page
    reopened = client.post(f"/followup/{visit.id}/reopen", data={
        "version": visit.version, "reason": "Paper sheet found in the chart"})
    assert reopened.status_code == 302
    db.expire_all()
    visit = db.get(Assessment, visit.id)
    saved = client.post(f"/followup/{visit.id}", data={
        "mode": "in_clinic", "vas": "4", "version": str(visit.version),
        "visit_on": visit.window_close.isoformat(), "satisfaction_procedure": "satisfied"})
    assert saved.status_code == 302  # (the 1-week visit asks no ODI)
    db.expire_all()
    assert db.get(Assessment, visit.id).state == "completed"


def test_a_nurse_asking_for_another_sites_patient_is_told_where_she_may_look(client, clinic):
    """Found trying the screens as a new user would: the 404 said "If you entered the
    URL manually please check your spelling". It says a nurse sees her own site, in the
    same words for a record of another site as for one that does not exist."""
    login(client, clinic.users["nurse"])
    other = client.get(f"/patients/{clinic.other.id}")
    nowhere = client.get("/patients/987654")
    assert other.status_code == nowhere.status_code == 404
    assert "a nurse sees the patients and visits of their own site" in other.get_data(as_text=True)
    # the same page, the forms' CSRF token aside (it carries the second it was made in)
    token = re.compile(r'(name="csrf_token"[^>]*value=")[^"]*"')
    assert token.search(other.get_data(as_text=True))
    assert (token.sub(r"\1…", other.get_data(as_text=True))
            == token.sub(r"\1…", nowhere.get_data(as_text=True)))


def test_a_conflict_with_ones_own_other_window_says_so(client, clinic, db):
    """Found trying the screens as a new user would: the same nurse saving in two windows
    was told 'Demo Nurse (North) saved this follow-up … while you were working on it'."""
    login(client, clinic.users["nurse"])
    form = {"mode": "phone", "version": str(clinic.due.version), "vas": "4",
            "missing_reason": "Patient declined the questionnaires"}
    assert client.post(f"/followup/{clinic.due.id}", data=form).status_code == 302
    stale = client.post(f"/followup/{clinic.due.id}", data=form | {"vas": "6"})
    page = html.unescape(stale.get_data(as_text=True))
    assert stale.status_code == 409
    assert "You, in another window or tab, saved this follow-up" in page
    assert clinic.users["nurse"].name not in page.split("while you were working")[0][-120:]
