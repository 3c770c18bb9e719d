"""Find a patient from what a caller says: a study code, part of a name (accents and case
do not matter), a hospital number, a phone number or a date of birth.

Roles that see identity search all of it; a physician (no identity) searches study codes
only; a nurse sees only her own site. Matching runs on keys stored beside the identity
(``name_key``: case-folded, accents removed; ``phone_key``: digits only), so it works the
same on SQLite and PostgreSQL and uses plain LIKE.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from clinic.contact.keys import name_key, phone_key
from clinic.models import Assessment, Patient, PatientIdentity, Site, Study, StudyTimepoint

MAX_RESULTS = 50
MIN_QUERY = 2
PHONE_DIGITS = 4  # a number search needs at least this many digits


@dataclass(frozen=True)
class SearchHit:
    patient_id: int
    study_code: str
    study: str
    site: str
    name: str | None  # None for roles that do not see identity
    next_visit: date | None
    next_timepoint: str | None
    found_by: tuple[str, ...] = ()  # "study code", "name", "MRN", "phone", "date of birth"


def birth_dates(text: str) -> list[date]:
    """The dates ``text`` may mean: 2026-01-31, 2026/01/31, 31.01.2026, 31/01/2026; for
    03/07/1961 both the 3rd of July (day first, as written in Europe) and the 7th of
    March (month first, as in the US)."""
    text = text.strip()
    found: list[date] = []
    for pattern in ("%Y-%m-%d", "%Y/%m/%d", "%d.%m.%Y", "%d/%m/%Y", "%m/%d/%Y"):
        try:
            day = datetime.strptime(text, pattern).date()
        except ValueError:
            continue
        if day not in found:
            found.append(day)
    return found


def too_short(query: str) -> bool:
    """Fewer than two characters, unless the one is an ideograph or a syllable of a
    script that writes a name part in one (Chinese 王, Japanese, Korean)."""
    query = query.strip()
    return len(query) < MIN_QUERY and not (query and ord(query[0]) >= 0x2E80)


def search_patients(session: Session, query: str, *, sees_identity: bool,
                    site_id: int | None, today: date) -> list[SearchHit]:
    """Patients matching ``query`` (at most MAX_RESULTS), best-known first (by code).

    ``site_id``: only this site (a nurse); None: every site.
    """
    query = " ".join(query.split())[:100]
    if too_short(query):
        return []
    conditions = [contains_text(Patient.study_code, code) for code in code_forms(query)]
    if sees_identity:
        conditions += _identity_conditions(query)
    statement = (select(Patient, Study.code, Site.code, PatientIdentity.name,
                        PatientIdentity.name_key, PatientIdentity.mrn,
                        PatientIdentity.phone_key, PatientIdentity.birth_date)
                 .join(Study, Study.id == Patient.study_id)
                 .join(Site, Site.id == Patient.site_id)
                 .join(PatientIdentity, PatientIdentity.patient_id == Patient.id, isouter=True)
                 .where(or_(*conditions))
                 .order_by(Patient.study_code).limit(MAX_RESULTS))
    if site_id is not None:
        statement = statement.where(Patient.site_id == site_id)
    rows = session.exec(statement).all()
    visits = _next_visits(session, [p.id for p, *_ in rows], today)  # type: ignore[misc]
    hits = [SearchHit(p.id, p.study_code, study, site,  # type: ignore[arg-type]
                      name if sees_identity else None, *visits.get(p.id, (None, None)),
                      found_by=found_by(query, p.study_code, *keys) if sees_identity else ())
            for p, study, site, name, *keys in rows]
    return sorted(hits, key=lambda hit: (not exact_code(query, hit.study_code),
                                         "study code" not in hit.found_by))  # stable


def found_by(query: str, study_code: str, name_key_: str | None, mrn: str | None,
             phone_key_: str | None, born: date | None) -> tuple[str, ...]:
    """What of a patient's record matched ``query``: a search for "0001" finds
    DEMO-0001 and every phone number holding 0001, and says which is which (the study
    code's match first, :func:`search_patients`)."""
    text = query.lower()  # as the SQL: lower(column) LIKE
    key, digits = name_words(query), phone_digits(query)
    matched = {"study code": any(c.lower() in study_code.lower() for c in code_forms(query)),
               "name": bool(key and name_key_ and all(w in name_key_ for w in key.split())),
               "MRN": bool(mrn and text in mrn.lower()),
               "phone": bool(digits and phone_key_ and digits in phone_key_),
               "date of birth": born is not None and born in birth_dates(query)}
    return tuple(label for label, hit in matched.items() if hit)


def code_forms(query: str) -> list[str]:
    """The query, with its spaces as hyphens where it may be a code typed with a space
    ("USFX 003" for USFX-003), and with its number zero-padded where it may be a code
    typed without its leading zeros ("USFX-3" or "usfx 3" for USFX-003 or DEMO-0003)."""
    hyphened = query.replace(" ", "-")
    forms = [query, hyphened] if hyphened != query and any(c.isdigit() for c in query) \
        else [query]
    short = _SHORT_CODE.fullmatch(query)
    if short:
        prefix, number = short.groups()
        forms += [form for width in range(len(number), CODE_DIGITS_MAX + 1)
                  if (form := f"{prefix}-{number.zfill(width)}") not in forms]
    return forms


_SHORT_CODE = re.compile(r"([A-Za-z][A-Za-z0-9]*?)[- ]?(\d{1,5})")
CODE_DIGITS_MAX = 6  # "USFX-3" looks for USFX-03 ... USFX-000003 too


def exact_code(query: str, study_code: str) -> bool:
    """``study_code`` is one of the forms of ``query`` (not only contains one)."""
    return study_code.lower() in {form.lower() for form in code_forms(query)}


def contains_text(column: object, text: str) -> object:
    """``column`` contains ``text``, case-insensitive; ``%`` and ``_`` are plain
    characters, not LIKE wildcards."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped.lower()}%", escape="\\")


def name_words(query: str) -> str | None:
    """The query's words as the name key holds them, a comma apart ("García, José" is
    the surname first: "garcia jose")."""
    return name_key(query.replace(",", " "))


def phone_digits(query: str) -> str | None:
    """The digits of a query that may be a phone number: at least PHONE_DIGITS of them
    and no letter ("DEMO-0002" is a study code, not every phone number holding 0002)."""
    digits = phone_key(query)
    if not digits or len(digits) < PHONE_DIGITS or any(c.isalpha() for c in query):
        return None
    return digits


def _identity_conditions(query: str) -> list[object]:
    found: list[object] = []
    key = name_words(query)
    if key:  # every word, in any order ("Walkley Carmen" finds Carmen Walkley)
        found.append(and_(*(contains_text(PatientIdentity.name_key, word)
                            for word in key.split())))
    found.append(contains_text(PatientIdentity.mrn, query))
    digits = phone_digits(query)
    if digits:
        found.append(col(PatientIdentity.phone_key).like(f"%{digits}%"))
    born = birth_dates(query)
    if born:
        found.append(col(PatientIdentity.birth_date).in_(born))
    return found


def _next_visits(session: Session, patient_ids: list[int],
                 today: date) -> dict[int, tuple[date, str]]:
    """Each patient's next pending follow-up whose window has not closed."""
    if not patient_ids:
        return {}
    rows = session.exec(
        select(Assessment.patient_id, Assessment.target_date, StudyTimepoint.label)
        .join(StudyTimepoint, StudyTimepoint.id == Assessment.timepoint_id)
        .where(col(Assessment.patient_id).in_(patient_ids), Assessment.state == "pending",
               Assessment.window_close >= today)
        .order_by(Assessment.target_date)).all()
    out: dict[int, tuple[date, str]] = {}
    for patient_id, target, label in rows:
        out.setdefault(patient_id, (target, label))
    return out
