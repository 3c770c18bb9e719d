"""The expected access rule of every route: endpoint -> "public", "any_user" or roles.

A new route must be added here (and carry a rule in the code) or the suite fails.
"""

from __future__ import annotations

ALL = frozenset({"nurse", "physician", "coordinator", "admin"})
STAFF = frozenset({"nurse", "coordinator", "admin"})
REVIEW = frozenset({"physician", "coordinator", "admin"})
ADMIN = frozenset({"admin"})
_RAISE = frozenset({"monitor", "physician", "coordinator", "admin"})
_ANSWER = frozenset({"nurse", "physician", "coordinator", "admin"})
_CLOSE = frozenset({"monitor", "coordinator", "admin"})

EXPECTED: dict[str, str | frozenset[str]] = {
    "static": "public",
    "auth.login": "public",
    "auth.verify": "public",
    "auth.logout": "any_user",
    "account.index": "any_user", "account.password": "any_user",
    "account.two_step": "any_user", "account.end_others": "any_user",
    "account.reset": "public",
    "web.home": "any_user",
    "search.index": "any_user",
    # study report (clinic/reports/views.py)
    "reports.index": REVIEW,
    "reports.download": REVIEW,
    **{f"reports.download_{fmt}": REVIEW for fmt in ("pdf", "html", "xlsx", "sav", "csv")},
    "reports.start_job": REVIEW,
    "reports.job_page": REVIEW,
    "reports.job_file": REVIEW,
    # reminders delivery log (clinic/reminders/views.py)
    "reminders.log": STAFF,
    "reminders.send_again": frozenset({"coordinator", "admin"}),
}

# clinical screens (clinic/web/*.py) and the JSON API (clinic/api/)
_MANAGE = frozenset({"coordinator", "admin"})
_PROCEDURES = REVIEW
EXPECTED.update({
    "worklist.index": STAFF, "worklist.calendar": STAFF, "worklist.call_list": STAFF,
    "enroll.new": STAFF,
    "identity.edit": STAFF,
    "reschedule.edit": _PROCEDURES,
    "procedures.correct": _PROCEDURES,
    "adverse_events.edit": ALL,
    "followup.entry": STAFF, "followup.not_done": STAFF, "followup.edit": STAFF,
    "followup.reopen": STAFF,
    "sheets.index": STAFF, "sheets.blank": STAFF, "sheets.filled": STAFF,
    # the patients' own pages: the link is the credential (clinic.web.selfreport)
    **{f"selfreport.{name}": "public" for name in (
        "start", "check", "question", "review", "thanks")},
    "self_report.index": "any_user",
    "procedures.new": _PROCEDURES,
    "patients.index": "any_user", "patients.show": "any_user", "patients.edit": ALL,
    "grid.index": "any_user",
    "cohort.index": REVIEW,
    "admin.index": _MANAGE, "admin.users": _MANAGE, "admin.set_active": _MANAGE,
    "admin.sites": _MANAGE,
    "admin.user": _MANAGE, "admin.unlock": _MANAGE, "admin.end_sessions": _MANAGE,
    "admin.reset_two_step": _MANAGE, "admin.reset_link": _MANAGE,
    "admin.revoke_user_token": _MANAGE,
    "study_admin.index": _MANAGE, "study_admin.setup": _MANAGE,
    **{f"study_builder.{name}": _MANAGE for name in (
        "studies", "upload", "new", "edit", "activate_study", "close", "download",
        "replace")},
    "study_admin.sequence": ADMIN, "study_admin.generate": ADMIN,
    "tokens.index": "any_user", "tokens.revoke": "any_user",
    "api.openapi": "public",
    "api.list_patients": "any_user", "api.get_patient": "any_user", "api.patch_patient": ALL,
    "api.list_procedures": "any_user", "api.create_procedure": _PROCEDURES,
    "api.correct_procedure_record": _PROCEDURES,
    "api.list_assessments": "any_user", "api.get_assessment": "any_user",
    "api.record_scores": STAFF, "api.correct_scores": STAFF, "api.not_done": STAFF,
    "api.reopen": STAFF,
    "api.list_adverse_events": "any_user", "api.follow_up_adverse_event": ALL,
    "screening_log.index": "any_user", "screening_log.export": "any_user",
    "audit_trail.index": _MANAGE | {"monitor"}, "audit_trail.download": _MANAGE | {"monitor"},
    "locks.patient": REVIEW, "locks.visit": REVIEW, "locks.study": _MANAGE,
    "locks.release": _MANAGE, "signatures.create": frozenset({"physician", "admin"}),
    "printout.patient_pdf": "any_user",
    "queries.index": "any_user", "queries.show": "any_user",
    "queries.new": _RAISE, "queries.answer": _ANSWER, "queries.close": _CLOSE,
    "queries.reopen": _CLOSE,
    "api.list_queries": "any_user", "api.get_query": "any_user", "api.create_query": _RAISE,
    "api.answer_query_api": _ANSWER, "api.close_query_api": _CLOSE,
    "api.reopen_query_api": _CLOSE,
    "api.get_effect_sizes": REVIEW, "api.import_dose_report": REVIEW,
    "dose.upload": REVIEW, "api.fhir_everything": "any_user", "api.fhir_read": "any_user",
    "api.list_studies": "any_user", "api.create_study": _MANAGE, "api.get_protocol": "any_user",
})
