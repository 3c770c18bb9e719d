"""Table models, split by domain. Importing this package registers every table."""

from sqlmodel import SQLModel

from clinic.models.api_token import ApiToken
from clinic.models.assessment import Assessment, Medication, Score, ScoreSection
from clinic.models.audit import AuditChain, AuditEvent, IdentityAuditEvent
from clinic.models.base import Audited
from clinic.models.dose import DoseEvent, RadiationDoseReport
from clinic.models.enrollment import AllocationSlot, Enrollment, Screening, ScreeningAnswer
from clinic.models.lock import RecordLock
from clinic.models.patient import Patient, PatientIdentity, RootLaterality
from clinic.models.people import Site, StudyMonitor, User
from clinic.models.procedure import Injectate, Procedure, ProcedureTarget
from clinic.models.query import DataQuery, DataQueryStep
from clinic.models.reminders import DeliveryAttempt, NurseDigest, Reminder, SchedulerLease
from clinic.models.safety import AdverseEvent
from clinic.models.security import (
    FormDraft,
    LoginThrottle,
    PasswordReset,
    SecurityEvent,
    UserSession,
)
from clinic.models.selfreport import SelfReport, SelfReportEvent, SelfReportMessage
from clinic.models.signature import Signature
from clinic.models.study import (
    EligibilityCriterion,
    ProtocolAmendment,
    Study,
    StudyArm,
    StudyMeasure,
    StudyTimepoint,
)
from clinic.models.tally import EnrollmentTally, VisitTally


def audited_tables() -> list[str]:
    """The tables whose rows write audit events, by name, sorted."""
    return sorted(m.__tablename__ for m in _models(SQLModel)  # type: ignore[attr-defined]
                  if issubclass(m, Audited))


def _models(base: type) -> set[type]:
    found = set()
    for model in base.__subclasses__():
        found |= {model} if hasattr(model, "__table__") else set()
        found |= _models(model)
    return found


def _ids_never_given_again() -> None:
    """An audit event names its row by table and id, so an audited row's id must stay
    its own once the row is deleted. SQLite gives a new row the largest id + 1 unless
    the table has AUTOINCREMENT (migration 0028); PostgreSQL's sequences never go back."""
    for name in audited_tables():
        SQLModel.metadata.tables[name].dialect_kwargs["sqlite_autoincrement"] = True


_ids_never_given_again()

__all__ = [
    "AdverseEvent", "ApiToken", "AllocationSlot", "Assessment", "AuditChain", "AuditEvent",
    "DataQuery", "DataQueryStep", "DoseEvent", "RadiationDoseReport",
    "DeliveryAttempt",
    "EligibilityCriterion", "FormDraft", "IdentityAuditEvent", "LoginThrottle", "NurseDigest",
    "PasswordReset", "ProtocolAmendment", "RecordLock", "Signature",
    "Reminder", "SchedulerLease", "SecurityEvent", "SelfReport", "SelfReportEvent",
    "SelfReportMessage", "UserSession",
    "Enrollment", "Injectate", "Medication", "Patient", "PatientIdentity", "Procedure",
    "ProcedureTarget", "RootLaterality", "Score", "ScoreSection", "Screening",
    "ScreeningAnswer", "Site", "Study", "StudyArm", "StudyMeasure", "StudyMonitor",
    "StudyTimepoint", "User",
    "EnrollmentTally", "VisitTally",
]
