"""The study builder: a draft built in the admin screens, previewed, activated, then
amended with a reason; a protocol file uploaded; mistakes shown next to the field."""

from __future__ import annotations

import csv
import html
import io
import re
from pathlib import Path

from sqlmodel import select

from clinic.models import AuditEvent, ProtocolAmendment, Study, StudyMeasure
from tests.api.conftest import bearer  # noqa: F401  (a bearer token for any role)
from tests.web.helpers import login, post_builder, submitted_form

PROTOCOLS = Path(__file__).resolve().parents[2] / "docs" / "protocols"


def _basics(**overrides: str) -> dict[str, str]:
    form = {"code": "TRI3", "title": "Three guidance modalities", "design_type": "randomized",
            "design": "Randomized 1:1:1", "consent_version": "v1",
            "arm-0-code": "US", "arm-0-label": "Ultrasound", "arm-0-modality": "ultrasound",
            "arm-0-ratio": "1",
            "arm-2-code": "FL", "arm-2-label": "Fluoroscopy", "arm-2-modality": "fluoroscopy",
            "arm-2-ratio": "1",
            "arm-3-code": "CT", "arm-3-label": "CT", "arm-3-modality": "ct", "arm-3-ratio": "1",
            "tp-0-code": "baseline", "tp-0-label": "Baseline", "tp-0-offset_days": "0",
            "tp-0-window_before_days": "30", "tp-0-window_after_days": "0", "baseline": "0",
            "tp-1-code": "month_1", "tp-1-label": "1 month", "tp-1-offset_days": "30",
            "tp-1-window_before_days": "7", "tp-1-window_after_days": "7",
            "criterion-0-code": "adult", "criterion-0-kind": "inclusion",
            "criterion-0-text": "Adult", "block_multipliers": "1, 2", "m-vas-all": "on"}
    return form | overrides


def test_a_draft_is_built_previewed_activated_and_amended(client, clinic, db):
    login(client, clinic.users["coordinator"])
    created = client.post("/admin/studies/new", data=_basics())
    assert created.status_code == 302, created.get_data(as_text=True)[:2000]
    study = db.exec(select(Study).where(Study.code == "TRI3")).one()
    assert study.status == "planning"
    page = client.get(created.headers["Location"]).get_data(as_text=True)
    assert 'id="measure-grid"' in page and 'name="m-vas-month_1"' in page
    assert 'name="m-vas-baseline" aria-label="Pain (VAS) at Baseline" checked' in page
    assert '<th scope="col">1 month</th>' in page  # the grid's columns by label, not code
    saved = post_builder(client, created.headers["Location"],
                        data=_basics(**{"m-vas-all": "", "m-vas-baseline": "on",
                                        "m-vas-month_1": "on", "m-odi-month_1": "on"}))
    assert saved.status_code == 302
    preview = client.get(f"/admin/studies/{study.id}/builder?procedure_on=2026-12-10"
                         ).get_data(as_text=True)
    assert "2027-01-09" in preview and "2027-01-02 – 2027-01-16" in preview
    unticked = client.post(f"/admin/studies/{study.id}/activate")  # the box not ticked
    assert unticked.status_code == 302
    assert "TRI3 is still a draft: tick the box" in client.get(
        unticked.headers["Location"]).get_data(as_text=True)
    db.expire_all()
    assert db.get(Study, study.id).status == "planning"
    assert client.post(f"/admin/studies/{study.id}/activate",
                       data={"confirm": "yes"}).status_code == 302
    db.expire_all()
    assert db.get(Study, study.id).status == "recruiting"
    banner = client.get(f"/admin/studies/{study.id}/builder").get_data(as_text=True)
    assert "The nerve roots asked at enrollment may change" in banner  # dropping one is allowed
    assert "can be enrolled once an administrator has generated" in banner
    setup = client.get(f"/admin/studies/{study.id}").get_data(as_text=True)
    assert "No patient is enrolled in this study yet" in setup
    assert "Lock the study's database</button>" not in setup
    # found trying the screens as a new user would: the monitor did not see the new
    # study, and nothing said why; the studies page said "Recruiting" for a study that
    # could enrol nobody yet
    assert "Monitors see it once an administrator adds it to their studies" in banner
    home = client.get("/").get_data(as_text=True)
    row = home.split("<strong>TRI3</strong>")[1].split("</tr>")[0]
    assert "Waiting for its allocation sequence" in row and "Recruiting" not in row
    assert "TRI3 · Waiting for its allocation sequence" in banner  # the builder says the same
    listed = client.get("/admin/studies/list").get_data(as_text=True)
    assert "Waiting for its allocation sequence" in listed.split("TRI3")[1].split("</tr>")[0]
    login(client, clinic.users["admin"])
    assert client.post(f"/admin/studies/{study.id}/sequence",  # no seed: a random one
                       data={"seed": " ", "slots": "20"}).status_code == 302
    db.expire_all()
    assert db.get(Study, study.id).randomization_seed is not None
    login(client, clinic.users["coordinator"])
    no_reason = post_builder(client, f"/admin/studies/{study.id}/builder",
                            data=_basics(**{"m-vas-all": "", "m-vas-baseline": "on",
                                            "m-vas-month_1": "on",
                                            "m-odi-month_1": "on", "m-odi-baseline": "on"}))
    assert no_reason.status_code == 422 and "Give the reason" in no_reason.get_data(as_text=True)
    amended = post_builder(client, f"/admin/studies/{study.id}/builder",
                          data=_basics(**{"m-vas-all": "", "m-vas-baseline": "on",
                                          "m-vas-month_1": "on", "m-odi-month_1": "on",
                                          "m-odi-baseline": "on",
                                          "reason": "ODI at baseline too"}))
    assert amended.status_code == 302
    amendment = db.exec(select(ProtocolAmendment)).one()
    assert "added Oswestry Disability Index at Baseline" in amendment.summary
    odi = db.exec(select(StudyMeasure).where(StudyMeasure.study_id == study.id,
                                             StudyMeasure.instrument == "odi")).one()
    assert odi.timepoint_codes is None  # now at every timepoint


def test_mistakes_are_shown_next_to_their_field(client, clinic, db):
    login(client, clinic.users["coordinator"])
    response = client.post("/admin/studies/new", data=_basics(**{
        "tp-1-window_before_days": "-2", "arm-3-modality": "mri"}))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="tp-1-window_before_days-error"' in page and 'id="arm-3-modality-error"' in page
    twice = client.post("/admin/studies/new", data=_basics(**{"arm-2-code": "US"}))
    assert 'id="arm-2-code-error"' in twice.get_data(as_text=True), "the form row, not the index"
    assert db.exec(select(Study).where(Study.code == "TRI3")).first() is None


def test_a_label_naming_another_time_than_its_offset_is_said_after_saving(client, clinic, db):
    """Found testing as a new user would: an amendment moved '3 months' to day 120 and
    nothing said the label no longer fit (saved all the same: a warning)."""
    login(client, clinic.users["coordinator"])
    created = client.post("/admin/studies/new", follow_redirects=True,
                          data=_basics(**{"tp-1-label": "3 months"}))
    page = html.unescape(created.get_data(as_text=True))
    assert "TRI3 saved as a draft" in page
    assert "'3 months' is scheduled on day 30, while its label names about day 91" in page
    quiet = client.get(created.request.path).get_data(as_text=True)
    assert "while its label names" not in quiet


def test_a_protocol_file_is_uploaded_as_a_draft(client, clinic, db):
    login(client, clinic.users["admin"])
    content = (PROTOCOLS / "us-mri-fusion-registry.toml").read_bytes()
    from io import BytesIO

    response = client.post("/admin/studies/upload", data={
        "protocol": (BytesIO(content), "registry.toml")}, content_type="multipart/form-data")
    assert response.status_code == 302
    study = db.exec(select(Study).where(Study.code == "USMRI")).one()
    assert study.status == "planning" and study.design_type == "registry"
    broken = client.post("/admin/studies/upload", data={
        "protocol": (BytesIO(content.replace(b'"nrs"', b'"nrz"')), "b.toml")},
        content_type="multipart/form-data")
    assert broken.status_code == 422 and "measures[0].instrument" in broken.get_data(
        as_text=True)
    download = client.get(f"/admin/studies/{study.id}/protocol.toml")
    assert download.status_code == 200 and b'code = "USMRI"' in download.data


def test_the_protocol_json_the_api_gives_is_uploaded_too(client, clinic, db, bearer):  # noqa: F811
    """The set-up page said to check a file with a command the coordinator may not run;
    uploading checks it, TOML or the JSON the API gives (found trying the screens as a new
    user would)."""
    from io import BytesIO

    given = client.get(f"/api/v1/studies/{clinic.study.code}/protocol",
                       headers=bearer("coordinator")).get_data()
    copied = given.replace(clinic.study.code.encode(), b"COPY", 1)
    login(client, clinic.users["admin"])
    response = client.post("/admin/studies/upload", data={
        "protocol": (BytesIO(copied), "copy.json")}, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert db.exec(select(Study).where(Study.code == "COPY")).one().status == "planning"
    twice = client.post("/admin/studies/upload", data={
        "protocol": (BytesIO(b'{"code": "A", "code": "B"}'), "t.json")},
        content_type="multipart/form-data")
    assert twice.status_code == 422
    assert "t.json is not valid JSON: the key" in html.unescape(twice.get_data(as_text=True))


def test_a_file_nested_thousands_deep_is_refused_in_words(client, clinic):
    """Found attacking the upload: a RecursionError in the TOML parser answered 500."""
    from io import BytesIO

    login(client, clinic.users["admin"])
    content = b"x = " + b"[" * 2000 + b"1" + b"]" * 2000 + b"\n" + (
        PROTOCOLS / "us-mri-fusion-registry.toml").read_bytes()
    response = client.post("/admin/studies/upload", data={
        "protocol": (BytesIO(content), "deep.toml")}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "nested too deeply" in response.get_data(as_text=True)


def test_a_draft_is_replaced_from_a_file_and_an_active_study_is_not(client, clinic, db):
    """Found trying the screens as a new user would: a corrected file could only make a
    second study, never replace the draft it came from."""
    from io import BytesIO

    login(client, clinic.users["coordinator"])
    content = (PROTOCOLS / "us-mri-fusion-registry.toml").read_bytes()
    client.post("/admin/studies/upload", data={"protocol": (BytesIO(content), "r.toml")},
                content_type="multipart/form-data")
    study = db.exec(select(Study).where(Study.code == "USMRI")).one()
    fixed = content.replace(b'code = "USMRI"', b'code = "USMRI2"', 1)
    replaced = client.post(f"/admin/studies/{study.id}/replace", content_type="multipart/form-data",
                           data={"protocol": (BytesIO(fixed), "fixed.toml")})
    assert replaced.status_code == 302
    assert "draft replaced from fixed.toml" in client.get(replaced.headers["Location"]).get_data(
        as_text=True)
    db.expire_all()
    assert db.get(Study, study.id).code == "USMRI2"
    assert len(db.exec(select(Study)).all()) == 2, "no second study"
    same = client.post(f"/admin/studies/{study.id}/replace", content_type="multipart/form-data",
                       data={"protocol": (BytesIO(b"\xef\xbb\xbf" + fixed), "bom.toml")})
    assert "bom.toml holds this draft already; nothing was changed" in client.get(
        same.headers["Location"]).get_data(as_text=True), "a byte-order mark is no content"
    empty = client.post(f"/admin/studies/{study.id}/replace", content_type="multipart/form-data",
                        data={"protocol": (BytesIO(b"  \n"), "empty.toml")})
    assert "empty.toml is empty" in client.get(empty.headers["Location"]).get_data(as_text=True)
    broken = client.post(f"/admin/studies/{study.id}/replace", content_type="multipart/form-data",
                         data={"protocol": (BytesIO(b"code = "), "broken.toml")})
    page = client.get(broken.headers["Location"]).get_data(as_text=True)
    assert "The file was not accepted" in page
    client.post(f"/admin/studies/{study.id}/activate", data={"confirm": "yes"})
    active = client.post(f"/admin/studies/{study.id}/replace", content_type="multipart/form-data",
                         data={"protocol": (BytesIO(fixed), "again.toml")})
    assert "changes by amendment" in html.unescape(
        client.get(active.headers["Location"]).get_data(as_text=True))


def test_a_save_of_the_form_keeps_what_the_form_cannot_show(client, clinic, db):
    """Patient self-report and the SYNTHETIC flag come from the protocol file only; an
    amendment made in the form keeps them (it used to switch self-report off)."""
    from clinic.studies.protocols import document_of
    from clinic.web.study_form import form_values

    study = db.get(Study, clinic.study.id)
    study.self_report = {"reminder_days": [0, 3, 7], "call_after_days": 10,
                         "second_factor": "birth_year"}
    study.is_synthetic = True
    db.add(study)
    db.commit()
    form = form_values(document_of(db, study)).to_dict()
    login(client, clinic.users["coordinator"])
    response = post_builder(client, f"/admin/studies/{study.id}/builder",
                           data=form | {"title": "A new title", "reason": "Clearer title"})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    db.expire_all()
    study = db.get(Study, study.id)
    assert study.self_report == {"reminder_days": [0, 3, 7], "call_after_days": 10,
                                 "second_factor": "birth_year"}
    amendment = db.exec(select(ProtocolAmendment)).one()
    assert amendment.summary.startswith("title: ") and "self-report" not in amendment.summary
    assert amendment.after["synthetic"] is True
    assert amendment.after["self_report"]["second_factor"] == "birth_year"


def test_blanks_and_zeros_are_not_turned_into_values(client, clinic, db):
    """Found by fuzzing and by trying the builder as a new user would: a blank offset
    made "1 month" fall on the procedure day, a ratio of 0 became 1, and a study with no
    baseline could be saved (its visits were then missed)."""
    login(client, clinic.users["coordinator"])
    for change, field in (({"tp-1-offset_days": ""}, "tp-1-offset_days"),
                          ({"arm-2-ratio": "0"}, "arm-2-ratio"),
                          ({"baseline": ""}, "baseline")):
        response = client.post("/admin/studies/new", data=_basics(**change))
        assert response.status_code == 422, change
        assert f'id="{field}-error"' in response.get_data(as_text=True), change
    assert db.exec(select(Study).where(Study.code == "TRI3")).first() is None
    blank_baseline_offset = client.post("/admin/studies/new",
                                        data=_basics(**{"tp-0-offset_days": ""}))
    assert blank_baseline_offset.status_code == 302  # the baseline's day 0


def test_a_timepoint_added_by_amendment_gets_the_measures_asked_everywhere(client, clinic, db):
    """Found trying the builder as a new user would: a 6-month visit added by amendment
    had nothing to record, because every measure was saved as a list of timepoints."""
    from clinic.followup.service import measures_at
    from clinic.models import Assessment, StudyTimepoint
    from clinic.studies.protocols import document_of
    from clinic.web.study_form import form_values

    study = db.get(Study, clinic.study.id)
    doc = document_of(db, study)
    codes = [t.code for t in doc.timepoints]
    form = form_values(doc).to_dict()
    for instrument in ("vas", "odi"):  # ticked in every column of the grid
        form |= {f"m-{instrument}-{code}": "on" for code in codes}
    baseline = next(t.code for t in doc.timepoints if t.baseline)
    form = {k: v for k, v in form.items() if not k.startswith("m-satisfaction_results-")}
    form |= {f"m-satisfaction_results-{code}": "on" for code in codes if code != baseline}
    row = len(codes)
    form |= {"grid_timepoints": ",".join(codes), f"tp-{row}-code": "month_12",
             f"tp-{row}-label": "12 months", f"tp-{row}-offset_days": "365",
             f"tp-{row}-window_before_days": "30", f"tp-{row}-window_after_days": "30",
             "reason": "Longer follow-up approved"}
    login(client, clinic.users["coordinator"])
    response = post_builder(client, f"/admin/studies/{study.id}/builder", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    visit = db.exec(select(Assessment).join(StudyTimepoint).where(
        Assessment.patient_id == clinic.patient.id, StudyTimepoint.code == "month_12")).one()
    # satisfaction, ticked at every follow-up, at the new follow-up too (it was not:
    # found trying the screens as a new user would)
    assert {"vas", "odi", "satisfaction_results"} <= set(measures_at(db, visit))


def test_the_study_set_up_is_audited_like_clinical_data(client, clinic, db):
    """Creating a draft, changing it, activating it and amending it each leave audit
    events under the study, with who and why; the allocation seed never enters one."""
    coordinator = clinic.users["coordinator"]
    login(client, coordinator)
    created = client.post("/admin/studies/new", data=_basics())
    study = db.exec(select(Study).where(Study.code == "TRI3")).one()
    post_builder(client, created.headers["Location"], data=_basics(**{"arm-3-label": "CT-guided"}))
    client.post(f"/admin/studies/{study.id}/activate", data={"confirm": "yes"})
    post_builder(client, f"/admin/studies/{study.id}/builder",
                data=_basics(**{"m-odi-all": "on", "reason": "ODI everywhere"}))

    def events(**where: object) -> list[AuditEvent]:
        query = select(AuditEvent).where(*(getattr(AuditEvent, k) == v for k, v in where.items()))
        return list(db.exec(query.order_by(AuditEvent.id)))

    made = events(entity="study", entity_id=study.id, action="create")
    assert len(made) == 1 and made[0].user_id == coordinator.id
    assert made[0].reason == "Study created as a draft"
    arms = events(entity="study_arm", action="create", parent_id=study.id)
    assert len(arms) == 3, "a draft's save changes its rows in place"
    assert events(entity="study_arm", action="delete", parent_id=study.id) == []
    relabelled = events(entity="study_arm", action="update", parent_id=study.id)
    assert [(e.field, e.old_value, e.new_value, e.reason) for e in relabelled] == [
        ("label", "CT", "CT-guided", "Draft study changed"),
        ("label", "CT-guided", "CT", "ODI everywhere")]  # the amendment's form said "CT"
    activated = events(entity="study", entity_id=study.id, field="status")
    assert [(e.old_value, e.new_value, e.reason) for e in activated] == [
        ("planning", "recruiting", "Study activated")]
    odi = events(entity="study_measure", action="create", parent_id=study.id)[-1]
    assert '"instrument": "odi"' in odi.new_value and "ODI everywhere" in odi.reason
    db.expire_all()
    seeded = db.get(Study, study.id)
    seeded.randomization_seed = 123456
    db.add(seeded)
    db.commit()
    seed = events(entity="study", entity_id=study.id, field="randomization_seed")
    assert [e.new_value for e in seed] == ["[secret]"]
    assert all("123456" not in (e.new_value or "") for e in events(entity="study"))
    trail = client.get(f"/studies/{study.code}/audit?entity=study_arm")
    assert trail.status_code == 200 and "arm " in trail.get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(client.get(
        f"/studies/{study.code}/audit.csv").get_data(as_text=True))))
    assert {(r["old value"], r["new value"]) for r in rows if r["field"] == "status"} == {
        ("Draft", "Recruiting")}, "statuses in words"
    named = {r["record"] for r in rows if r["record"].split()[0] in ("arm", "timepoint")}
    assert named == {"arm US", "arm FL", "arm CT", "timepoint Baseline", "timepoint 1 month"}
    assert "measure Oswestry Disability Index" in {r["record"] for r in rows}, "by name"
    vas = next(r for r in rows if r["record"] == "measure Pain (VAS)" and r["action"] ==
               "created")
    assert "timepoint codes: every timepoint" in vas["new value"], "asked everywhere, said"
    amendment = [r for r in rows if r["record"].startswith("protocol amendment")]
    assert len(amendment) == 1 and "reason: ODI everywhere" in amendment[0]["new value"]
    assert "{" not in amendment[0]["new value"], "the protocol documents are not dumped"


def test_satisfaction_is_not_asked_before_the_treatment(client, clinic, db):
    login(client, clinic.users["coordinator"])
    everywhere = client.post("/admin/studies/new", data=_basics(**{
        "m-satisfaction_results-all": "on"}))
    page = everywhere.get_data(as_text=True)
    assert everywhere.status_code == 422
    assert ("Satisfaction with the results asks about the treatment: ask it at the "
            "follow-up") in html.unescape(page)
    assert db.exec(select(Study).where(Study.code == "TRI3")).first() is None
    after = client.post("/admin/studies/new", data=_basics(**{
        "m-satisfaction_results-month_1": "on", "grid_timepoints": "baseline,month_1"}))
    assert after.status_code == 302, after.get_data(as_text=True)[:1000]


def test_a_criterion_carries_age_limits_through_the_builder_and_the_file(client, clinic, db):
    login(client, clinic.users["coordinator"])
    on_exclusion = client.post("/admin/studies/new", data=_basics(**{
        "criterion-1-code": "frail", "criterion-1-kind": "exclusion",
        "criterion-1-text": "Frail", "criterion-1-age_at_least": "90"}))
    assert on_exclusion.status_code == 422
    assert "age limits belong to an inclusion criterion" in on_exclusion.get_data(as_text=True)
    backwards = client.post("/admin/studies/new", data=_basics(**{
        "criterion-0-age_at_least": "70", "criterion-0-age_at_most": "40"}))
    assert backwards.status_code == 422 and "below the youngest" in backwards.get_data(
        as_text=True)
    made = client.post("/admin/studies/new", data=_basics(**{
        "criterion-0-age_at_least": "18", "criterion-0-age_at_most": "80"}))
    assert made.status_code == 302
    page = client.get(made.headers["Location"]).get_data(as_text=True)
    assert 'name="criterion-0-age_at_least" value="18"' in page
    study = db.exec(select(Study).where(Study.code == "TRI3")).one()
    toml = client.get(f"/admin/studies/{study.id}/protocol.toml").get_data(as_text=True)
    assert "age_at_least = 18" in toml and "age_at_most = 80" in toml
    client.post(f"/admin/studies/{study.id}/activate", data={"confirm": "yes"})
    amended = post_builder(client, f"/admin/studies/{study.id}/builder", data=_basics(**{
        "criterion-0-age_at_least": "21", "criterion-0-age_at_most": "80",
        "reason": "Adults from 21 only"}))
    assert amended.status_code == 302
    amendment = db.exec(select(ProtocolAmendment)).one()
    assert "criterion adult now checks the age: 21 to 80 years" in amendment.summary


def test_a_save_from_a_stale_tab_is_refused_not_undoing_the_save_since(client, clinic, db):
    """Found testing as a new user would: tab B, opened before tab A saved, reverted A's
    change under B's reason. The form carries the version it was opened on."""
    coordinator = clinic.users["coordinator"]
    login(client, coordinator)
    client.post("/admin/studies/new", data=_basics())
    study = db.exec(select(Study).where(Study.code == "TRI3")).one()
    url = f"/admin/studies/{study.id}/builder"
    page_b = client.get(url).get_data(as_text=True)
    stale = re.search(r'name="based_on" value="([0-9a-f]+)"', page_b).group(1)
    saved_a = post_builder(client, url, _basics(title="Title from tab A"))
    assert saved_a.status_code == 302
    from_b = client.post(url, data=_basics(design="Design from tab B") | {"based_on": stale})
    text = from_b.get_data(as_text=True)
    assert from_b.status_code == 409
    assert f"TRI3 was changed by {coordinator.name}" in text
    assert "correct the fields marked below" not in text, "no field is marked"
    db.expire_all()
    kept = db.get(Study, study.id)
    assert kept.title == "Title from tab A" and kept.design != "Design from tab B"
    assert client.post(url, data=_basics()).status_code == 422, "a form without a version"
    # found trying the builder as a new user would: tab B's changes were lost. Tab B as
    # a browser sends it (every field of its page), its design changed, after A's title:
    tab_b = submitted_form(client.get(url).get_data(as_text=True), holding="based_on")
    tab_b.setlist("based_on", [stale])
    tab_b.setlist("title", [_basics()["title"]])  # as tab B showed it, before A's save
    tab_b.setlist("design", ["Design from tab B"])
    tab_b.setlist("reason", ["Design reworded"])
    refused = client.post(url, data=tab_b)
    shown = html.unescape(refused.get_data(as_text=True))
    assert refused.status_code == 409
    assert ("Your form is below as you left it; it differs from the version saved now in: "
            "Title (saved: “Title from tab A”); Design, in words (saved: “") in shown
    listed = shown[shown.index("Your form is below"):shown.index("Check those")]
    assert listed.count("(saved") == 2, listed  # not the hidden grid, nor a default choice
    again = submitted_form(refused.get_data(as_text=True), holding="based_on")
    assert again["design"] == "Design from tab B" and again["based_on"] != stale
    again.setlist("title", ["Title from tab A"])  # B takes A's title, keeps its design
    assert client.post(url, data=again).status_code == 302
    db.expire_all()
    kept = db.get(Study, study.id)
    assert (kept.title, kept.design) == ("Title from tab A", "Design from tab B")


def test_a_study_using_every_criterion_row_gets_room_for_one_more(client, clinic, db):
    """Found testing as a new user would: the DEMO study fills all 16 criterion rows;
    a 17th could not be entered, and a hand-added one was dropped unsaid."""
    login(client, clinic.users["coordinator"])
    sixteen = {f"criterion-{i}-{field}": value for i in range(16) for field, value in
               (("code", f"c{i}"), ("kind", "inclusion"), ("text", f"Criterion {i}"))}
    made = client.post("/admin/studies/new", data=_basics(**sixteen))
    assert made.status_code == 302, made.get_data(as_text=True)[:1500]
    page = client.get(made.headers["Location"]).get_data(as_text=True)
    assert 'name="criterion-15-code" value="c15"' in page
    assert 'name="criterion-17-code"' in page and 'name="criterion-18-code"' not in page
    study = db.exec(select(Study).where(Study.code == "TRI3")).one()
    saved = post_builder(client, f"/admin/studies/{study.id}/builder", data=_basics(
        **sixteen, **{"criterion-16-code": "c16", "criterion-16-kind": "exclusion",
                      "criterion-16-text": "The seventeenth"}))
    assert saved.status_code == 302, saved.get_data(as_text=True)[:1500]
    toml = client.get(f"/admin/studies/{study.id}/protocol.toml").get_data(as_text=True)
    assert 'code = "c16"' in toml and "The seventeenth" in toml



def test_a_builder_form_without_its_version_is_broken_not_someone_elses_change(client,
                                                                                clinic, db):
    """Found testing as a new user would: a post without ``based_on`` (or with 'abc')
    read 'DEMO was changed by … after you opened this page'."""
    login(client, clinic.users["coordinator"])
    client.post("/admin/studies/new", data=_basics())
    study = db.exec(select(Study).where(Study.code == "TRI3")).one()
    for based_on in (None, "abc", "999"):
        form = _basics(title="Changed") | ({"based_on": based_on} if based_on else {})
        refused = client.post(f"/admin/studies/{study.id}/builder", data=form)
        page = refused.get_data(as_text=True)
        assert refused.status_code == 422 and "does not say which version" in page, based_on
        assert "after you opened this page" not in page
    db.expire_all()
    assert db.get(Study, study.id).title == "Three guidance modalities"



def test_an_unknown_design_type_is_marked_on_its_field(client, clinic):
    """Found testing as a new user would: 'correct the fields marked below', none marked."""
    login(client, clinic.users["coordinator"])
    refused = client.post("/admin/studies/new", data=_basics(design_type="crossover"))
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert re.search(r'class="field has-error"><label for="design_type"', page)
    assert 'id="design_type-error"' in page


def test_a_refused_amendment_keeps_the_new_timepoints_ticks(client, clinic, db):
    """Found testing as a new user would: an amendment adding 12 months, refused once
    (no reason), came back with the new column blank, and the second save added a
    timepoint that asked nothing. Now the column shows what the save gives it, and a
    timepoint no measure asks is refused."""
    from clinic.studies.protocols import document_of
    from clinic.web.study_form import form_values

    study = db.get(Study, clinic.study.id)
    doc = document_of(db, study)
    codes = [t.code for t in doc.timepoints]
    form = form_values(doc).to_dict()
    form |= {f"m-vas-{code}": "on" for code in codes}
    row = len(codes)
    form |= {"grid_timepoints": ",".join(codes), f"tp-{row}-code": "month_12",
             f"tp-{row}-label": "12 months", f"tp-{row}-offset_days": "365",
             f"tp-{row}-window_before_days": "30", f"tp-{row}-window_after_days": "30"}
    login(client, clinic.users["coordinator"])
    url = f"/admin/studies/{study.id}/builder"
    refused = post_builder(client, url, data=form)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert re.search(r'name="m-vas-month_12"[^>]*checked', page), "ticked as the save would"
    assert not re.search(r'name="m-odi-month_12"[^>]*checked', page)
    again = {k: v for k, v in form.items() if not k.startswith("m-")}
    again |= {f"m-vas-{code}": "on" for code in codes}  # the first page's ticks only
    again |= {"grid_timepoints": ",".join([*codes, "month_12"]), "reason": "Longer follow-up"}
    blank = post_builder(client, url, data=again)
    assert blank.status_code == 422
    assert "12 months asks no measure" in html.unescape(blank.get_data(as_text=True))
    assert db.exec(select(ProtocolAmendment)).first() is None
    saved = post_builder(client, url, data={**again, "m-vas-month_12": "on"})
    assert saved.status_code == 302


def test_self_report_is_set_in_the_builder_and_changed_by_amendment(client, clinic, db):
    """Found testing as a new user would: a study built in the browser could not send
    self-report links (only a protocol file could set them, and an active study takes no
    file)."""
    from clinic.studies.protocols import document_of

    login(client, clinic.users["coordinator"])
    blank = client.get("/admin/studies/new").get_data(as_text=True)
    assert 'name="sr-on"' in blank and "Self-report by e-mail" in blank
    wrong = client.post("/admin/studies/new", data=_basics(**{
        "sr-form": "1", "sr-on": "on", "sr-reminder_days": "0, x", "sr-call_after_days": "-1"}))
    page = html.unescape(wrong.get_data(as_text=True))
    assert wrong.status_code == 422
    assert re.search(r'id="sr-reminder_days-error"[^>]*>[^<]*whole number', page), page[:300]
    assert 'id="sr-call_after_days-error"' in page
    created = client.post("/admin/studies/new", data=_basics(**{
        "sr-form": "1", "sr-on": "on", "sr-reminder_days": "0, 5", "sr-call_after_days": "",
        "sr-second_factor": "birth_year"}))
    assert created.status_code == 302, created.get_data(as_text=True)[:2000]
    study = db.exec(select(Study).where(Study.code == "TRI3")).one()
    ladder = document_of(db, study).self_report
    assert ladder is not None and ladder.reminder_days == [0, 5]
    assert ladder.call_after_days is None and ladder.second_factor == "birth_year"
    shown = client.get(created.headers["Location"]).get_data(as_text=True)
    assert 'name="sr-on" checked' in shown and 'value="0, 5"' in shown
    assert client.post(f"/admin/studies/{study.id}/activate",
                       data={"confirm": "yes"}).status_code == 302
    off = post_builder(client, f"/admin/studies/{study.id}/builder", data=_basics(**{
        "sr-form": "1", "reason": "Staff collect every visit"}))
    assert off.status_code == 302
    db.expire_all()
    assert document_of(db, db.get(Study, study.id)).self_report is None
    amendment = db.exec(select(ProtocolAmendment)).one()
    assert amendment.summary.startswith("patient self-report: ")


def test_self_report_settings_are_refused_in_words(client, clinic):
    """Found attacking the builder: 20 reminder days read 'list should have at most 6
    items after validation, not 20', and a call before the last reminder was taken."""
    login(client, clinic.users["coordinator"])
    many = client.post("/admin/studies/new", data=_basics(**{
        "sr-form": "1", "sr-on": "on", "sr-reminder_days": ", ".join(map(str, range(20)))}))
    page = html.unescape(many.get_data(as_text=True))
    assert many.status_code == 422 and "at most 6 of them (20 given)" in page
    assert "after validation" not in page
    early = client.post("/admin/studies/new", data=_basics(**{
        "sr-form": "1", "sr-on": "on", "sr-reminder_days": "0, 3, 7",
        "sr-call_after_days": "2"}))
    assert early.status_code == 422
    assert "the call comes after the last reminder (day 7)" in html.unescape(
        early.get_data(as_text=True))


def test_an_empty_section_is_named_in_the_builders_errors(client, clinic):
    """Found trying the screens as a new user would: a form with no arms, no timepoints
    and no measures said "needs at least 1 (none given)" three times, not of what."""
    login(client, clinic.users["coordinator"])
    form = {k: v for k, v in _basics().items()
            if not k.startswith(("arm-", "tp-", "m-", "baseline"))}
    page = client.post("/admin/studies/new", data=form).get_data(as_text=True)
    assert "Arms: needs at least 1 (none given)" in page
    assert "Timepoints: needs at least 1 (none given)" in page


def test_the_builder_names_every_problem_in_one_round(client, clinic):
    """Found trying the screens as a new user would: a randomized study with one arm, no
    baseline marked and a window that did not read was told of the window first; fixed,
    of the second arm and the baseline then. Satisfaction asked at the baseline was said
    at its row in the grid only, the top of the page saying "the fields marked below"."""
    login(client, clinic.users["coordinator"])
    form = {k: v for k, v in _basics(**{"tp-1-window_after_days": "a week",
                                         "m-satisfaction_results-all": "on"}).items()
            if not k.startswith(("arm-2-", "arm-3-", "baseline"))}
    page = html.unescape(client.post("/admin/studies/new", data=form).get_data(as_text=True))
    assert 'id="tp-1-window_after_days-error"' in page  # the field that did not read
    top = page.split('id="builder-errors"')[1].split("</div>")[0]
    assert "Arms: a randomized study needs at least 2 arms" in top
    # every problem at the top too, a field's named and linked to it
    assert '<a href="#tp-1-window_after_days-error">Timepoint 2, window after</a>' in top
    assert '<a href="#baseline-error">Baseline</a>: mark one timepoint as the baseline' in top
    # in the form's order: the arms before the timepoints (it listed them backwards)
    assert top.index("Arms: a randomized") < top.index("Timepoint 2, window after")
    marked = _basics(**{"tp-1-window_after_days": "a week", "m-satisfaction_results-all": "on"})
    page = html.unescape(client.post("/admin/studies/new", data=marked).get_data(as_text=True))
    top = page.split('id="builder-errors"')[1].split("</div>")[0]
    assert "Satisfaction with the results asks about the treatment" in top


def test_an_ambiguous_number_is_refused_not_read_as_a_decimal(client, clinic, db):
    """Found trying the builder as a new user would: a steroid cap of "1.200" was saved
    as 1.2 mg (the document's own check read the text the form had refused)."""
    login(client, clinic.users["coordinator"])
    for field, typed in (("steroid_cap_mg", "1.200"), ("steroid_cap_mg", "1e1"),
                         ("arm-0-ratio", "1.000")):
        response = client.post("/admin/studies/new", data=_basics(**{field: typed}))
        assert response.status_code == 422, (field, typed)
        assert f'id="{field}-error"' in response.get_data(as_text=True)
        assert db.exec(select(Study).where(Study.code == "TRI3")).first() is None
    kept = client.post("/admin/studies/new", data=_basics(steroid_cap_mg="12,5"))
    assert kept.status_code == 302
    assert db.exec(select(Study).where(Study.code == "TRI3")).one().steroid_cap_mg == 12.5


def test_the_builders_inputs_hold_what_their_columns_store(client, clinic):
    """Found trying the screens as a new user would: a 400-character arm label could be
    typed, then was refused on saving; the inputs now stop at what the column stores."""
    from clinic.models import EligibilityCriterion, StudyArm, StudyTimepoint
    from clinic.web.study_form import INPUT_LIMITS

    columns = {"code": Study.code, "title": Study.title, "design": Study.design,
               "consent_version": Study.consent_version, "arm-code": StudyArm.code,
               "arm-label": StudyArm.label, "tp-code": StudyTimepoint.code,
               "tp-label": StudyTimepoint.label, "criterion-code": EligibilityCriterion.code,
               "criterion-text": EligibilityCriterion.text}
    assert {k: c.type.length for k, c in columns.items()} == INPUT_LIMITS  # type: ignore[attr-defined]
    login(client, clinic.users["admin"])
    page = client.get("/admin/studies/new").get_data(as_text=True)
    for name, limit in (("code", 20), ("title", 300), ("arm-0-label", 200),
                        ("tp-3-label", 100), ("criterion-0-text", 500),
                        ("tp-1-offset_days", 40), ("arm-1-ratio", 40),
                        ("factor-0-name", 30), ("factor-1-bin-2-code", 20)):
        assert re.search(rf'<input[^>]* id="{name}"[^>]* maxlength="{limit}"', page), name
    assert not re.search(r'id="roots"[^>]* maxlength=', page)  # a list: checked on saving


def test_the_capped_steroid_is_chosen_beside_the_cap_and_changed_by_amendment(client, clinic,
                                                                              db):
    """The cap's steroid was fixed (methylprednisolone acetate, the seed trial's): a study
    capping triamcinolone chooses it in the builder, and the study page names it."""
    login(client, clinic.users["coordinator"])
    blank = client.get("/admin/studies/new").get_data(as_text=True)
    assert "Steroid cap (mg per patient)" in blank
    assert "Methylprednisolone acetate cap" not in blank
    assert re.search(r'<option value="methylprednisolone_acetate"\s+selected>'
                     r'Methylprednisolone acetate</option>', blank), "the seed trial's first"
    choices = re.search(r'<select id="capped_steroid".*?</select>', blank, re.S).group(0)
    assert re.findall(r'value="(\w+)"', choices) == [
        "dexamethasone", "methylprednisolone_acetate", "triamcinolone", "betamethasone"]
    refused = client.post("/admin/studies/new", data=_basics(steroid_cap_mg="60",
                                                             capped_steroid="lidocaine"))
    assert refused.status_code == 422
    assert 'id="capped_steroid-error"' in refused.get_data(as_text=True)
    created = client.post("/admin/studies/new", data=_basics(steroid_cap_mg="60",
                                                             capped_steroid="triamcinolone"))
    assert created.status_code == 302, created.get_data(as_text=True)[:2000]
    study = db.exec(select(Study).where(Study.code == "TRI3")).one()
    assert (study.steroid_cap_mg, study.capped_steroid) == (60.0, "triamcinolone")
    page = client.get(created.headers["Location"]).get_data(as_text=True)
    assert re.search(r'<option value="triamcinolone"\s+selected>Triamcinolone</option>', page)
    toml = client.get(f"/admin/studies/{study.id}/protocol.toml").get_data(as_text=True)
    assert 'steroid_cap_mg = 60.0\ncapped_steroid = "triamcinolone"\n' in toml
    setup = client.get(f"/admin/studies/{study.id}").get_data(as_text=True)
    assert "Steroid cap: 60 mg of triamcinolone per patient" in setup
    client.post(f"/admin/studies/{study.id}/activate", data={"confirm": "yes"})
    amended = post_builder(client, f"/admin/studies/{study.id}/builder", data=_basics(
        steroid_cap_mg="80", capped_steroid="methylprednisolone_acetate",
        reason="The seed trial's regimen adopted"))
    assert amended.status_code == 302, amended.get_data(as_text=True)[:2000]
    amendment = db.exec(select(ProtocolAmendment)).one()
    assert "capped steroid: Triamcinolone → Methylprednisolone acetate" in amendment.summary
    db.expire_all()
    assert db.get(Study, study.id).capped_steroid == "methylprednisolone_acetate"
