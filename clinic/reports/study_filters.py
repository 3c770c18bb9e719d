"""A report's arm and site filters held to what exists: the study's arms, the clinic's
sites. A code typed in another case is the code it names ("ct" is CT); an unknown one
is refused by name, with the codes that would do, instead of an empty report (or, for
an arm, a PDF whose tables had no column at all)."""

from __future__ import annotations

from dataclasses import replace

from sqlmodel import Session, select

from clinic.exceptions import ValidationError
from clinic.models import Site, Study
from clinic.reports.filters import ReportFilters
from clinic.studies.setup import arms


def study_filters(session: Session, study: Study, filters: ReportFilters) -> ReportFilters:
    """``filters`` with its arms and sites spelt as stored; a ValidationError naming the
    codes that name nothing."""
    errors: dict[str, str] = {}
    arm_codes = [a.code for a in arms(session, study.id)]  # type: ignore[arg-type]
    site_codes = list(session.exec(select(Site.code).order_by(Site.code)))
    chosen_arms = _known(filters.arms, arm_codes, "arms",
                         f"arm(s) of {study.code}", errors)
    chosen_sites = _known(filters.sites, site_codes, "sites", "site(s)", errors)
    if errors:
        raise ValidationError(errors)
    return replace(filters, arms=chosen_arms, sites=chosen_sites)


def _known(asked: tuple[str, ...], codes: list[str], name: str, what: str,
           errors: dict[str, str]) -> tuple[str, ...]:
    by_case = {code.casefold(): code for code in codes}
    unknown = [code for code in asked if code.casefold() not in by_case]
    if unknown:
        errors[name] = (f"Unknown {what}: {', '.join(unknown)}. Choose from: "
                        f"{', '.join(codes) or 'none'}.")
    return tuple(by_case[code.casefold()] for code in asked if code.casefold() in by_case)
