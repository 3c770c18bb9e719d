"""The clinical screens (worklist, follow-up, procedures, patients, grid, cohort, admin)
and the JSON API, registered in one place."""

from __future__ import annotations

from flask import Flask

from clinic.scoring.instruments import INSTRUMENTS


def register_screens(app: Flask) -> None:
    from clinic.api import init_app as init_api
    from clinic.web import (
        admin,
        adverse_events,
        audit_trail,
        cohort,
        dose,
        enroll,
        followup,
        grid,
        identity,
        locks,
        patients,
        printout,
        procedures,
        queries,
        reschedule,
        screening_log,
        search,
        self_report,
        selfreport,
        sheets,
        signatures,
        study_admin,
        study_builder,
        tokens,
        worklist,
    )

    for module in (worklist, followup, procedures, patients, grid, cohort, admin, study_admin,
                   study_builder, tokens, enroll, identity, reschedule, adverse_events,
                   screening_log, search, sheets, selfreport, self_report, audit_trail, locks,
                   signatures, queries, printout, dose):
        app.register_blueprint(module.bp)
    app.jinja_env.globals["instruments"] = INSTRUMENTS
    init_api(app)
