"""Create a study from its protocol definition, and read the definition back."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from clinic.catalog import INT_MAX, ROOTS
from clinic.exceptions import NotFound, ValidationError
from clinic.models import EligibilityCriterion, Study, StudyArm, StudyMeasure, StudyTimepoint
from clinic.protocol.definition import (
    ArmDefinition,
    MatchingSpec,
    MeasureDefinition,
    StudyDefinition,
    strata_from_json,
    strata_to_json,
)
from clinic.protocol.eligibility_rules import Criterion, CriterionKind
from clinic.scheduling.windows import TimepointSpec, validate_schedule
from clinic.selfreport.ladder import LadderSpec


def create_study(session: Session, definition: StudyDefinition,
                 status: str = "recruiting") -> Study:
    if session.exec(select(Study).where(Study.code == definition.code)).first():
        raise ValidationError({"code": f"A study with code {definition.code!r} exists."})
    validate_schedule(definition.timepoints)
    study = Study(
        code=definition.code, title=definition.title, design=definition.design,
        status=status, is_synthetic=definition.is_synthetic,
        steroid_cap_mg=definition.steroid_cap_mg, capped_steroid=definition.capped_steroid,
        strata_rules=strata_to_json(definition.strata),
        block_multipliers=list(definition.block_multipliers),
        design_type=definition.design_type, consent_version=definition.consent_version,
        matching=matching_to_json(definition.matching),
        self_report=definition.self_report.to_json() if definition.self_report else None,
        roots=list(definition.roots),
    )
    session.add(study)
    session.flush()
    _add_children(session, study.id, definition)  # type: ignore[arg-type]
    session.flush()
    return study


def _add_children(session: Session, study_id: int, d: StudyDefinition) -> None:
    for model, rows in child_rows(d).items():
        session.add_all(model(study_id=study_id, **values) for values in rows)


# each child table and the field that names a row within its study
CHILD_KEYS: dict[type, str] = {StudyArm: "code", StudyTimepoint: "code",
                               StudyMeasure: "instrument", EligibilityCriterion: "code"}


def child_rows(d: StudyDefinition) -> dict[type, list[dict[str, Any]]]:
    """The rows of a study's arms, timepoints, measures and criteria, as column values."""
    return {
        StudyArm: [dict(code=arm.code, label=arm.label, modality=arm.modality,
                        allocation_ratio=arm.ratio, position=i) for i, arm in enumerate(d.arms)],
        StudyTimepoint: [dict(code=tp.code, label=tp.label, offset_days=tp.offset_days,
                              window_before_days=tp.window_before_days,
                              window_after_days=tp.window_after_days,
                              is_baseline=tp.is_baseline, position=i)
                         for i, tp in enumerate(d.timepoints)],
        StudyMeasure: [dict(instrument=m.instrument, position=i,
                            timepoint_codes=list(m.timepoints) if m.timepoints is not None
                            else None,
                            strata=list(m.strata) if m.strata is not None else None,
                            response_categories=m.response_categories)
                       for i, m in enumerate(d.measures)],
        EligibilityCriterion: [dict(code=c.code, kind=str(c.kind), text=c.text, position=i,
                                    age_at_least=c.age_at_least, age_at_most=c.age_at_most)
                               for i, c in enumerate(d.criteria)],
    }


def studies_with_patients(session: Session) -> list[Study]:
    """The studies that take or hold patients, by code: not the drafts (the worklist's
    and the grid's study choices)."""
    return list(session.exec(select(Study).where(Study.status != "planning")
                             .order_by(Study.code)))


def find_study(session: Session, code_or_id: str | int) -> Study:
    """A study by its short code (e.g. DEMO) or its numeric id."""
    text = str(code_or_id)
    query = select(Study).where(Study.code == text)
    study = session.exec(query).first()
    if study is None and text != text.upper():  # codes are upper case: "demo" is DEMO
        study = session.exec(select(Study).where(Study.code == text.upper())).first()
    if study is None and text.isascii() and text.isdigit() and int(text) <= INT_MAX:
        study = session.get(Study, int(text))  # ("²" is a digit to Python, not a number)
    if study is None:
        raise NotFound(f"No study with code or id {text!r}.")
    return study


def load_definition(session: Session, study: Study) -> StudyDefinition:
    sid = study.id
    arms = session.exec(select(StudyArm).where(StudyArm.study_id == sid)
                        .order_by(StudyArm.position)).all()
    return StudyDefinition(
        code=study.code, title=study.title, design=study.design,
        arms=tuple(ArmDefinition(a.code, a.label, a.modality, a.allocation_ratio) for a in arms),
        timepoints=tuple(timepoint_spec(t) for t in timepoints(session, sid)),  # type: ignore[arg-type]
        measures=tuple(MeasureDefinition(m.instrument, _codes(m.timepoint_codes),
                                         _codes(m.strata), m.response_categories)
                       for m in measures(session, sid)),  # type: ignore[arg-type]
        criteria=tuple(Criterion(c.code, CriterionKind(c.kind), c.text, c.age_at_least,
                                 c.age_at_most)
                       for c in criteria(session, sid)),  # type: ignore[arg-type]
        strata=strata_from_json(study.strata_rules or []),
        block_multipliers=tuple(study.block_multipliers or (1, 2, 3)),
        steroid_cap_mg=study.steroid_cap_mg, capped_steroid=study.capped_steroid,
        is_synthetic=study.is_synthetic,
        design_type=study.design_type, consent_version=study.consent_version,
        matching=matching_from_json(study.matching),
        self_report=LadderSpec.from_json(study.self_report),
        roots=study_roots(study),
    )


def study_roots(study: Study) -> tuple[str, ...]:
    """The nerve roots whose laterality the study asks at enrollment (a study made
    before they were set asks the seed trial's L3, L4, L5)."""
    return tuple(study.roots) if study.roots is not None else ROOTS


def matching_to_json(spec: MatchingSpec | None) -> dict[str, Any] | None:
    if spec is None:
        return None
    return {"treated": spec.treated, "covariates": list(spec.covariates),
            "caliper_sd": spec.caliper_sd}


def matching_from_json(data: dict[str, Any] | None) -> MatchingSpec | None:
    if not data:
        return None
    return MatchingSpec(str(data["treated"]), tuple(data["covariates"]), data.get("caliper_sd"))


def _codes(codes: list[str] | None) -> tuple[str, ...] | None:
    return tuple(codes) if codes is not None else None


def timepoint_spec(t: StudyTimepoint) -> TimepointSpec:
    return TimepointSpec(t.code, t.label, t.offset_days, t.window_before_days,
                         t.window_after_days, is_baseline=t.is_baseline)


def timepoints(session: Session, study_id: int) -> list[StudyTimepoint]:
    return list(session.exec(select(StudyTimepoint).where(StudyTimepoint.study_id == study_id)
                             .order_by(StudyTimepoint.position)).all())


def arms(session: Session, study_id: int) -> list[StudyArm]:
    return list(session.exec(select(StudyArm).where(StudyArm.study_id == study_id)
                             .order_by(StudyArm.position)).all())


def measures(session: Session, study_id: int) -> list[StudyMeasure]:
    return list(session.exec(select(StudyMeasure).where(StudyMeasure.study_id == study_id)
                             .order_by(StudyMeasure.position)).all())


def criteria(session: Session, study_id: int) -> list[EligibilityCriterion]:
    return list(session.exec(select(EligibilityCriterion)
                             .where(EligibilityCriterion.study_id == study_id)
                             .order_by(EligibilityCriterion.position)).all())
