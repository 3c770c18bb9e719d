"""Table models, split by domain. Importing this package registers every table."""

from clinic.models.api_token import ApiToken
from clinic.models.assessment import Assessment, Medication, Score, ScoreSection
from clinic.models.audit import AuditChain, AuditEvent, IdentityAuditEvent
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
